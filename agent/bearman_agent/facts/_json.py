"""Reading a tool's JSON output, with one clear error for every way it can be wrong."""

from __future__ import annotations

import json
from typing import Any

from bearman_agent.errors import FactsParseError


def json_member(text: str, tool: str, key: str, kind: type) -> Any:
    """document[key] of the tool's JSON, which must be of kind; FactsParseError otherwise."""
    try:
        document = json.loads(text)
    except ValueError as problem:
        raise FactsParseError(f"{tool} printed invalid JSON: {problem}") from None
    member = document.get(key) if isinstance(document, dict) else None
    if not isinstance(member, kind):
        shape = "list" if kind is list else "object"
        raise FactsParseError(f'{tool} JSON has no "{key}" {shape}')
    return member
