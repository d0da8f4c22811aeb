"""Benchmarks (not timed tests): `python -m bench.<name>`; results in docs/benchmarks.md."""
