"""OpenAPI additions: the error body, documented on every operation that can answer it."""

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error answer. `fields` comes only with validation errors (400).",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "transition_not_allowed"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "description": "Field name → its messages (`non_field_errors` for the rest).",
                    "additionalProperties": {},
                },
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}
WRITES = {"post", "put", "patch", "delete"}
DESCRIPTIONS = {
    "400": "Invalid input: `fields` names each bad field.",
    "401": "No credentials, or a token Bearman does not know.",
    "403": "Authenticated, but without the permission this needs.",
    "404": "No such object (or page).",
    "409": "Refused in the current state: an illegal status move, a full pool, in use.",
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: the Error component and each operation's errors."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in _error_codes(path, method, operation):
                responses.setdefault(code, _error_response(code))
    return result


def _error_codes(path: str, method: str, operation: dict) -> list[str]:
    codes = ["401", "403"]
    has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
    if method in WRITES or has_query:
        codes.append("400")
    if "{" in path or has_query:
        codes.append("404")
    if method in WRITES:
        codes.append("409")
    return codes


def _error_response(code: str) -> dict:
    return {
        "description": DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
