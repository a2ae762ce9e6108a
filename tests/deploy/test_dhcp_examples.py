"""The DHCP examples of deploy/dhcp/, checked by the daemons they are written for.

Outside CI a missing daemon skips its test; with CI=true it fails it (`make test`
installs dnsmasq-base and kea-dhcp4-server)."""

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_tool

DHCP = Path(__file__).resolve().parents[2] / "deploy" / "dhcp"
BEARMAN = "http://192.0.2.10"


def check(*command: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} rejected it:\n{output}"
    return output


def settings_of(path: Path) -> list[tuple[str, str]]:
    """(option, value) of each line of a dnsmasq file that is not a comment."""
    lines = (line.strip() for line in path.read_text().splitlines())
    return [tuple(line.partition("=")[::2]) for line in lines if line and line[0] != "#"]


def kea_json(path: Path) -> dict:
    """Kea's JSON with its // comments taken out (none of its strings holds //)."""
    text = re.sub(r"^\s*//.*$", "", path.read_text(), flags=re.MULTILINE)
    return json.loads(text)


@pytest.mark.parametrize("name", ["dnsmasq.conf", "dnsmasq-proxy.conf"])
def test_dnsmasq_accepts_the_example(name):
    dnsmasq = require_tool("dnsmasq")
    assert "syntax check OK" in check(dnsmasq, "--test", "-C", str(DHCP / name))


def test_dnsmasq_rejects_a_broken_copy(tmp_path):
    """The check above proves something: dnsmasq --test does fail on a bad line."""
    dnsmasq = require_tool("dnsmasq")
    broken = tmp_path / "broken.conf"
    broken.write_text((DHCP / "dnsmasq.conf").read_text() + "dhcp-range=192.0.2.300,proxy\n")
    result = subprocess.run([dnsmasq, "--test", "-C", str(broken)], capture_output=True)
    assert result.returncode != 0


def test_kea_accepts_the_example(tmp_path):
    """kea-dhcp4 -t also opens the named interface: the copy names one that exists."""
    kea = require_tool("kea-dhcp4")
    text = (DHCP / "kea-dhcp4.json").read_text()
    assert text.count('"interfaces": [ "eth1" ]') == 1
    copy = tmp_path / "kea-dhcp4.json"
    copy.write_text(text.replace('"interfaces": [ "eth1" ]', '"interfaces": [ "lo" ]'))
    check(kea, "-t", str(copy))


def test_dnsmasq_example_boots_each_kind_of_client_into_bearman():
    boots = [value for option, value in settings_of(DHCP / "dnsmasq.conf") if option == "dhcp-boot"]
    assert f"tag:ipxe,{BEARMAN}/ipxe/boot.ipxe" in boots
    assert "tag:!ipxe,tag:bios,undionly.kpxe" in boots
    assert "tag:!ipxe,tag:efi64,ipxe.efi" in boots
    assert f"tag:!ipxe,tag:efihttp,{BEARMAN}/ipxe/bin/ipxe.efi" in boots
    # Every boot line but iPXE's own excludes iPXE: no client is handed iPXE twice.
    assert all(value.startswith(("tag:ipxe,", "tag:!ipxe,")) for value in boots)


def test_proxy_example_leases_nothing_and_never_hands_ipxe_to_ipxe():
    settings = settings_of(DHCP / "dnsmasq-proxy.conf")
    assert [value for option, value in settings if option == "dhcp-range"] == [
        "198.51.100.0,proxy,255.255.255.0"
    ]
    services = [value for option, value in settings if option == "pxe-service"]
    for system in ["x86PC", "BC_EFI", "x86-64_EFI"]:
        assert f'tag:ipxe,{system},"Bearman",{BEARMAN}/ipxe/boot.ipxe' in services
        assert any(s.startswith(f"tag:!ipxe,{system},") for s in services)
    assert all(s.startswith(("tag:ipxe,", "tag:!ipxe,")) for s in services)


def test_kea_example_classes_cover_the_four_cases_in_order():
    classes = kea_json(DHCP / "kea-dhcp4.json")["Dhcp4"]["client-classes"]
    by_name = {each["name"]: each for each in classes}
    assert [each["name"] for each in classes][0] == "ipxe"  # tested before the others ask
    assert by_name["ipxe"]["boot-file-name"] == f"{BEARMAN}/ipxe/boot.ipxe"
    assert by_name["bios-pxe"]["boot-file-name"] == "undionly.kpxe"
    assert by_name["uefi-pxe"]["boot-file-name"] == "ipxe.efi"
    assert by_name["uefi-http"]["boot-file-name"] == f"{BEARMAN}/ipxe/bin/ipxe.efi"
    for name in ["bios-pxe", "uefi-pxe", "uefi-http"]:
        assert by_name[name]["test"].startswith("not member('ipxe') and ")
