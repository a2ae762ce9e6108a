"""HTTP entry points: parse the request, call one service or selector, shape the reply."""
