"""Player avatars: rigged humanoid GLBs, with engine mapping sidecars, from a description or parameters."""

from worldsmith.avatars.pipeline import create

__all__ = ["create"]
