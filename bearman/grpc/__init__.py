"""The gRPC agent API: servicer, converters, error mapping and the server process."""
