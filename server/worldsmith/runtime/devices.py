"""Device and dtype choice: cuda > mps > cpu; half precision on GPUs, fp32 on the CPU."""

from __future__ import annotations

import torch


def pick_device(preference: str = "auto") -> str:
    if preference != "auto":
        available = {
            "cuda": torch.cuda.is_available(),
            "mps": torch.backends.mps.is_available(),
            "cpu": True,
        }[preference]
        if not available:
            raise RuntimeError(f"device {preference!r} was asked for but is not available on this machine")
        return preference
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def pick_dtype(device: str, preference: str = "auto") -> torch.dtype:
    if preference != "auto":
        return getattr(torch, preference)
    if device == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


def describe() -> str:
    """One line naming the accelerator, for server info and logs."""
    if torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)})"
    if torch.backends.mps.is_available():
        return "mps"
    return f"cpu ({torch.get_num_threads()} threads)"
