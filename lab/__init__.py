"""Bearman's labs: machines to try Bearman on without a rack.

The VM lab (`vms`) boots real QEMU guests through the real iPXE ROM into the first-stage
image, each with OpenIPMI's `ipmi_sim` as its BMC. The process lab (`bearman.lab`) runs
hundreds of simulated machines for scale runs.
"""
