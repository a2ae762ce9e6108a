"""The API's JSON parser: plain JSON with a bound on how deeply it nests.

Python's json module recurses once per level, so a body of a few thousand `[` would
end in a RecursionError (a 500) before any serializer saw it. No request of ours needs
more than a few levels.
"""

import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32
# Strings are skipped whole, so brackets inside them do not count.
JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class BoundedJSONParser(JSONParser):
    """JSONParser that answers 400 for a body nested deeper than MAX_JSON_DEPTH."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        if json_depth(body) > MAX_JSON_DEPTH:
            raise ParseError(
                f"JSON parse error - the body nests deeper than {MAX_JSON_DEPTH} levels."
            )
        return super().parse(_Replay(body), media_type, parser_context)


def json_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in `body` (0 for a scalar); no parsing."""
    depth = deepest = 0
    for token in JSON_TOKEN.finditer(body):
        bracket = token.group()
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif bracket in (b"]", b"}"):
            depth -= 1
    return deepest


class _Replay:
    """The body already read, handed to JSONParser as the stream it expects."""

    def __init__(self, body: bytes):
        self.body = body

    def read(self, *args) -> bytes:
        body, self.body = self.body, b""
        return body
