"""Between the agent's plain data and the wire messages; imported only when a call is made."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format

from bearman_agent.wire.bearman.v1 import agent_pb2


def facts_to_proto(facts: dict[str, Any]) -> agent_pb2.Facts:
    """The wire Facts for the collected facts; unknown keys are an error, not silently dropped."""
    return json_format.ParseDict(facts, agent_pb2.Facts())


def message_to_dict(message: Any) -> dict[str, Any]:
    """A response as JSON-ready data with the .proto's field names and every field present."""
    return json_format.MessageToDict(
        message,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
    )
