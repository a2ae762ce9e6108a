import pytest

from bearman.services import node_set_bmc_password

IPXE_CLIENT = {"HTTP_USER_AGENT": "iPXE/1.21.1"}
PUBLIC_URL = "http://bearman.example.test:8000"


@pytest.fixture
def public_url(settings, tmp_path):
    """Render-on-write on, into a scratch directory."""
    settings.BEARMAN_PUBLIC_URL = PUBLIC_URL
    settings.BEARMAN_IPXE_RENDER_DIR = str(tmp_path / "ipxe")
    settings.ALLOWED_HOSTS = ["*"]
    return PUBLIC_URL


def with_secret(node):
    node_set_bmc_password(node=node, password="Bmc-Secret-Pw-1", actor="test")
    return node
