"""The cabling plan: for a node's NIC, the switch and port it must see over LLDP.

A plan row names its machine the way the rack plan does, by exactly one of
  - `serial`: the chassis serial the node reports at registration (Node.serial), or
  - `rack_position`: where the machine sits (Node.rack_position, set by an operator).
The plan is typically imported before the racks are powered on, so a row is not a foreign
key to a Node: rows for machines not registered yet are kept as they are and apply as soon
as a node with that serial registers (or is given that rack position); nothing has to be
matched or copied at registration, and deleting a node record leaves its rack's plan alone.
A registered node's NIC is planned under one of its names: the import and the per-cable
service refuse a row for a NIC already planned under the node's other name. Rows made before
the node had both names may still overlap: the serial's row wins then
(bearman.services.cabling.expected_links), the serial being what the machine says.

`switch` and `port` are compared with what the agent's lldpctl parser stores per NIC: the
neighbour's system name (its chassis id when the switch sends no name) and its port id.
A switch port is cabled to one NIC only: (switch, port) is unique across the whole plan.
"""

from django.core.validators import MinLengthValidator
from django.db import models
from django.db.models import Q

from bearman.validators import (
    RACK_POSITION_MAX,
    validate_interface_name,
    validate_rack_position,
    validate_single_line,
)

SERIAL_MAX = 128  # as Node.serial
NIC_MAX = 15  # IFNAMSIZ - 1
# LLDP's system name and port id TLVs carry at most 255 octets.
SWITCH_MAX = 255
PORT_MAX = 255


class CablingLink(models.Model):
    """One cable of the plan: this node's NIC goes to that switch port."""

    serial = models.CharField(
        max_length=SERIAL_MAX,
        blank=True,
        validators=[validate_single_line],
        help_text="The node's serial as it reports it (or its rack position).",
    )
    rack_position = models.CharField(
        max_length=RACK_POSITION_MAX,
        blank=True,
        validators=[validate_rack_position],
        help_text="The node's rack position, e.g. dc1-r12-u07 (or its serial).",
    )
    nic = models.CharField(
        "NIC",
        max_length=NIC_MAX,
        validators=[validate_interface_name],
        help_text="The NIC's interface name on the node, e.g. eno1 or ens1f0.",
    )
    switch = models.CharField(
        max_length=SWITCH_MAX,
        validators=[MinLengthValidator(1), validate_single_line],
        help_text="The switch's LLDP system name, e.g. leaf-r12-a.dc1.",
    )
    port = models.CharField(
        max_length=PORT_MAX,
        validators=[MinLengthValidator(1), validate_single_line],
        help_text="The switch port's LLDP port id, e.g. Ethernet12.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["serial", "rack_position", "nic"]
        verbose_name = "cabling plan link"
        constraints = [
            models.CheckConstraint(
                condition=(Q(serial="") & ~Q(rack_position=""))
                | (~Q(serial="") & Q(rack_position="")),
                name="cabling_names_node_once",
                violation_error_message="Name the node by its serial or its rack position.",
            ),
            models.UniqueConstraint(
                fields=["serial", "nic"],
                condition=~Q(serial=""),
                name="cabling_serial_nic_unique",
                violation_error_message="This node's NIC is already in the cabling plan.",
            ),
            models.UniqueConstraint(
                fields=["rack_position", "nic"],
                condition=~Q(rack_position=""),
                name="cabling_position_nic_unique",
                violation_error_message="This node's NIC is already in the cabling plan.",
            ),
            models.UniqueConstraint(
                fields=["switch", "port"],
                name="cabling_switch_port_unique",
                violation_error_message="This switch port is already cabled to another NIC.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.node_label} {self.nic} → {self.switch} {self.port}"

    @property
    def node_label(self) -> str:
        """How the plan names the node: its serial or its rack position."""
        return self.serial or self.rack_position
