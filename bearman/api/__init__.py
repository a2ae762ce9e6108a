"""The REST API under /api/v1/: thin views over bearman.services (see README, REST API)."""
