"""Fixtures of the agent API, REST API and operator CLI tests, for the timeline's."""

from tests.agent.conftest import artifacts  # noqa: F401
from tests.bearman.api.conftest import client_for  # noqa: F401
from tests.bearman.grpc.conftest import agent, grpc_target, ipmi_pool  # noqa: F401
from tests.bearman.operator_cli.conftest import cli as operator_cli  # noqa: F401
