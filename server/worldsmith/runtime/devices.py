"""Device and dtype choice: cuda > mps > cpu; half precision on GPUs, and on CPUs for text generators where bf16 is native."""

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


def pick_dtype(device: str, preference: str = "auto", kind: str = "") -> torch.dtype:
    """`preference` unless "auto": bf16 or fp16 on GPUs; on the CPU, bf16 for text generators when the CPU has native
    bf16 dot products (AVX512-BF16 or AMX), else fp32.

    A decode step multiplies a few rows by every weight: in bf16 it moves half the bytes and, on such CPUs, runs the
    dot products natively (bench/dialogue.py compares the two). Diffusion and embedding models stay fp32 on the CPU, where their outputs are compared and
    cached byte for byte.
    """
    if preference != "auto":
        return getattr(torch, preference)
    if device == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    if kind == "text-generator" and cpu_has_native_bf16():
        return torch.bfloat16
    return torch.float32


def cpu_has_native_bf16() -> bool:
    """Whether oneDNN runs bf16 matmuls on this CPU's own bf16 instructions (AVX512-BF16 or AMX)."""
    return torch.backends.mkldnn.is_available() and (torch.cpu._is_avx512_bf16_supported()
                                                     or torch.cpu._is_amx_tile_supported())


def describe() -> str:
    """One line naming the accelerator, for server info and logs."""
    if torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)})"
    if torch.backends.mps.is_available():
        return "mps"
    return f"cpu ({torch.get_num_threads()} threads)"
