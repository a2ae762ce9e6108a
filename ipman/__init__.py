"""IPman: IP pools and allocations; its service API is ipman.services."""
