"""Dialogue tests (a package, so its conftest never shadows the shared tests/conftest.py)."""
