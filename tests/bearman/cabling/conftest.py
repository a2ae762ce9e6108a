# The API tests' token-authenticated clients and the operator CLI's live-server runner.
from tests.bearman.api.conftest import client_for  # noqa: F401
from tests.bearman.operator_cli.conftest import cli  # noqa: F401
