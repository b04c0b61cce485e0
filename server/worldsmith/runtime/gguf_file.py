"""GGUF model files: finding one (a path, or an installed package that ships one) and reading the facts
the registry reports (architecture, quantisation, licence, chat template, control tokens, sha256)."""

from __future__ import annotations

import hashlib
import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from worldsmith.runtime import packages

_MAGIC = b"GGUF"
# GGUF value types: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
_CONTROL_TOKEN = 3
# llama.cpp's `general.file_type` numbers (enum llama_ftype) for the common quantisations.
_FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
    12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K",
    19: "IQ2_XXS", 20: "IQ2_XS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 28: "IQ4_XS", 32: "BF16",
}


@dataclass
class GgufFacts:
    path: Path
    architecture: str
    quantization: str
    license: str
    name: str
    context_length: int
    chat_template: str | None
    control_tokens: list[str] = field(default_factory=list)
    sha256: str = ""


def resolve(source: str) -> Path:
    """The GGUF file a config `source` names: a path to a .gguf file, or `package:NAME` for an installed
    package that ships one (one with an `assemble()` function that writes it, or a .gguf inside it)."""
    if not packages.is_package_source(source):
        path = Path(source).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"GGUF file {source} does not exist")
        return path
    package = packages.import_package(source)
    if hasattr(package, "assemble"):  # shipped in chunks, joined (and checked) on first use
        return Path(package.assemble())
    found = sorted(Path(package.__file__).parent.rglob("*.gguf"))
    if not found:
        raise FileNotFoundError(f"{source}: the package ships no .gguf file")
    return found[0]


class _Reader:
    def __init__(self, data: memoryview):
        self.data, self.at = data, 0

    def take(self, fmt: str):
        (value,) = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        size = self.take("<Q")
        text = bytes(self.data[self.at:self.at + size]).decode("utf-8", errors="replace")
        self.at += size
        return text

    def value(self, kind: int):
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item_kind, count = self.take("<I"), self.take("<Q")
            if item_kind in _SCALARS:  # numbers: one numpy view instead of a Python loop
                dtype = np.dtype(_SCALARS[item_kind])
                values = np.frombuffer(self.data, dtype, count, self.at)
                self.at += dtype.itemsize * count
                return values
            return [self.value(item_kind) for _ in range(count)]
        return self.take(_SCALARS[kind])


def read_metadata(path: Path) -> dict:
    """The key/value header of a GGUF file (tensors are not read)."""
    with open(path, "rb") as file:
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            reader = _Reader(memoryview(mapped))
            try:
                if bytes(reader.data[:4]) != _MAGIC:
                    raise ValueError(f"{path} is not a GGUF file (no GGUF magic)")
                reader.at = 4
                reader.take("<I")  # version
                reader.take("<Q")  # tensor count
                pairs = reader.take("<Q")
                metadata = {}
                for _ in range(pairs):
                    key = reader.string()
                    metadata[key] = reader.value(reader.take("<I"))
                # numpy views point into the map: copy the one array we keep before it closes
                metadata = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in metadata.items()}
            finally:
                del reader
    return metadata


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(4 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def facts(path: Path) -> GgufFacts:
    metadata = read_metadata(path)
    architecture = str(metadata.get("general.architecture", ""))
    tokens = metadata.get("tokenizer.ggml.tokens", [])
    types = metadata.get("tokenizer.ggml.token_type")
    control = [tokens[i] for i in np.flatnonzero(types == _CONTROL_TOKEN)] if types is not None else []
    file_type = metadata.get("general.file_type")
    return GgufFacts(
        path=path,
        architecture=architecture,
        quantization=_FILE_TYPES.get(int(file_type), f"type {file_type}") if file_type is not None else "",
        license=str(metadata.get("general.license", "")),
        name=str(metadata.get("general.name", path.stem)),
        context_length=int(metadata.get(f"{architecture}.context_length", 0)),
        chat_template=metadata.get("tokenizer.chat_template"),
        control_tokens=control,
        sha256=sha256_of(path),
    )
