"""Tiny randomly initialised models written through save_pretrained, for tests and offline demos."""
