"""The REST API (Django REST framework) and its OpenAPI schema (drf-spectacular)."""

from .environment import env_int

# Page size when the client does not ask (?page_size=), and the most it may ask for.
BEARMAN_API_PAGE_SIZE = env_int("BEARMAN_API_PAGE_SIZE", 50, minimum=1)
BEARMAN_API_MAX_PAGE_SIZE = env_int("BEARMAN_API_MAX_PAGE_SIZE", 500, minimum=1)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        # The browsable API and the Swagger page, for someone logged in to the admin.
        "rest_framework.authentication.SessionAuthentication",
    ],
    # JSON in: form encodings turn "" into null and cannot say what JSON can. Nesting is
    # bounded: a deep body would otherwise exhaust Python's recursion (a 500).
    "DEFAULT_PARSER_CLASSES": ["bearman.api.parsers.BoundedJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PERMISSION_CLASSES": ["bearman.api.permissions.ModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "bearman.api.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "EXCEPTION_HANDLER": "bearman.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Bearman API",
    "DESCRIPTION": (
        "Bare-metal inventory and provisioning. Authenticate with "
        "`Authorization: Token <key>`. Every error has the body "
        '`{"error": {"code": …, "message": …, "fields": {…}}}`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's files come with the server: booting networks are often offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Both state machines have a `status`: name their enums after them.
    "ENUM_NAME_OVERRIDES": {
        "NodeStatusEnum": "bearman.states.NodeStatus.choices",
        "DeployStatusEnum": "bearman.states.DeployStatus.choices",
        "DifferenceKindEnum": "bearman.models.conformance.DifferenceKind",
        "OperationStateEnum": "bearman.models.power.OperationState",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "bearman.api.schema.add_error_responses",
    ],
}

# API tokens are stored as hashes (knox); the key is shown once, when it is made. A token
# lives until deleted unless the admin gives it an expiry.
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_TTL": None,
}
