"""GET /ipxe/bin/<name>: the iPXE binaries of Debian's ipxe package, for chainloading.

Legacy PXE and UEFI PXE firmware fetch these by TFTP (dnsmasq's own TFTP server serves
the same directory); UEFI HTTP boot and anything else that speaks HTTP fetches them here.
Only the three names below are served, so no request can reach another file.
"""

from pathlib import Path

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound
from django.views.decorators.http import require_safe

from .files import serve_file

# BIOS PXE (keeps the NIC's UNDI driver), UEFI with iPXE's own drivers, UEFI through
# the firmware's network stack (SNP): the binaries deploy/dhcp/ hands out.
IPXE_BINARIES = frozenset({"undionly.kpxe", "ipxe.efi", "snponly.efi"})
# Not left to the host's mime.types: UEFI HTTP boot takes application/efi for an EFI
# program (it falls back to the .efi in the URL); a BIOS image has no type of its own.
CONTENT_TYPES = {".efi": "application/efi", ".kpxe": "application/octet-stream"}


def _not_found(message: str) -> HttpResponse:
    return HttpResponseNotFound(message + "\n", content_type="text/plain; charset=utf-8")


@require_safe
def ipxe_binary(request, name: str) -> HttpResponse:
    if name not in IPXE_BINARIES:
        return _not_found(f"No such iPXE binary; Bearman serves {', '.join(sorted(IPXE_BINARIES))}")
    path = Path(settings.BEARMAN_IPXE_BINARY_DIR) / name
    if not path.is_file():  # follows symlinks: Debian links ipxe.efi to /boot
        return _not_found(
            f"{name} is not in {settings.BEARMAN_IPXE_BINARY_DIR}: install Debian's ipxe "
            "package, or point BEARMAN_IPXE_BINARY_DIR at a directory that has it"
        )
    response = serve_file(request, path)
    if response.status_code in (200, 206):
        response["Content-Type"] = CONTENT_TYPES[path.suffix]
    return response
