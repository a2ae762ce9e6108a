"""IPman's REST API, /api/v1/ipman/: thin views over ipman.services and ipman.selectors."""
