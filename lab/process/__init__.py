"""The process lab: simulated servers that boot, register and deploy through Bearman.

Each lab machine is a directory of state, a virtual BMC and a set of stand-in tools
(dmidecode, ipmitool, lldpctl, poweroff, kexec, …) on the PATH of the real
`bearman-cli`, so the agent's own code paths run end to end against Bearman.
"""
