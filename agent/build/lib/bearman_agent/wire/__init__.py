"""The wire types and client stubs, generated from protos/ by `make proto`; never edit by hand."""
