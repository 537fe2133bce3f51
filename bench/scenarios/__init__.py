"""Benchmark scenarios: every ``*.py`` module here (not starting with ``_``) is imported
by ``python -m bench`` and registers its scenarios with ``@bench.harness.scenario``."""
