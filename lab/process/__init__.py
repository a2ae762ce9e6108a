"""The process lab: simulated servers that boot, register and deploy through Bearman.

Each lab machine is a directory of state, a virtual BMC and a set of stand-in tools
(dmidecode, ipmitool, lldpctl, poweroff, kexec, …) on the PATH of the real
`bearman-cli`, so the agent's own code paths run end to end against Bearman.

The machines live under var/process-lab (or --root) and outlive the lab: started again,
each keeps its identity, power state, disk and the BMC its agent configured, and those
that were off stay off. A machine whose directory is gone starts anew, and the lab
removes its node from Bearman so that it registers afresh.
"""
