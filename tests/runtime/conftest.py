"""Markers of the runtime tests."""


def pytest_configure(config):
    config.addinivalue_line("markers", "real_model: loads real weights installed from the package index (slow, ~1 min)")
