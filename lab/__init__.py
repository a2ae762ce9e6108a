"""Bearman's labs: machines to try Bearman on without a rack.

The VM lab (`vms`) boots real QEMU guests through the real iPXE ROM into the first-stage
image, each with OpenIPMI's `ipmi_sim` as its BMC. The process lab (`process`) runs
hundreds of simulated machines for scale runs. The virtual BMCs (`virtual_bmc`, on
pyghmi's BMC server as `pyghmi_server` fixes it) serve both the process lab and the tests.

The product never imports this package (`make lint` checks it: import-linter).
"""
