"""Benchmarks that print ratios (`make bench`); not part of the test suite."""
