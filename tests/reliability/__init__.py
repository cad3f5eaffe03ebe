"""The reliability suite (`make test-reliability`, the `reliability` marker): races, load,
crashes and storage failures against real servers. Not part of `make test`."""
