"""Peyvand benchmark harness.

Run from the repository root with ``python -m bench``; see ``bench/README.md``.
Benchmarks report figures, they never assert on them.
"""
