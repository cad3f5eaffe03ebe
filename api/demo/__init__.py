"""The demo library: a fictional company's collateral, loaded by `baton demo` and `make run`."""
