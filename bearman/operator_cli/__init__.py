"""`bearman`, the operator's command line: it speaks only HTTP to the REST API, never Django."""
