"""Power, the one way in: request, run, sync.

- `request`: an operator's action on one node (`power_action_request`), or Bearman's own
  checks of many (`power_actions_request_many`, background lane); `bulk` wraps requests
  over many nodes in the guard rails (batches, a stop once too many fail).
- `run`: a worker runs an operation through the node's driver (`drivers`), records it,
  and reaps those whose worker vanished; `bmc_check` turns an answer into READY.
- `sync`: the periodic refresh of every BMC's power state.

Requests queue work through `bearman.services.queueing` (by task name): nothing here
imports the tasks. The web processes import `request` and `bulk` only, so they never
load the drivers (pyghmi, sushy).
"""
