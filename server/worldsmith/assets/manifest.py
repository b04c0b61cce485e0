"""Build manifests (`assets.toml`): named entries for textures, scenes, avatars and NPC barks.

```toml
[build]
layout = "unity"        # unity: Assets/Worldsmith/...; godot: generated/...; plain: build/...
parallel = 2

[[texture]]
name = "mossy_cobble"
prompt = "mossy cobblestone"
seed = 7
tiling = "both"         # enum values may drop their prefix (TILING_BOTH)
maps = ["albedo", "normal", "roughness"]

[[scene]]
name = "tavern"
kind = "interior"
prompt = "a cosy tavern with a bar and tables"
bounds = { x = 10, y = 3, z = 8 }
seed = 3
```

Every key of an entry except `name` and `output` is a field of the kind's request message,
so the manifest accepts exactly what the API does. Problems are reported with their line,
all at once, before anything is generated.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message

from worldsmith._proto.worldsmith.v1 import avatar_pb2, dialogue_pb2, scene_pb2, texture_pb2
from worldsmith.assets.files import UnsafePath, inside_project

LAYOUT_ROOTS = {"unity": "Assets/Worldsmith", "godot": "generated", "plain": "build"}


@dataclass(frozen=True)
class EntryKind:
    name: str
    rpc: MethodDescriptor  # the streaming RPC that makes an entry of this kind
    required: tuple[str, ...]
    folder: str

    @property
    def service(self) -> str:
        return self.rpc.containing_service.full_name

    @property
    def method(self) -> str:
        return self.rpc.name

    @property
    def request_class(self) -> type[Message]:
        return message_factory.GetMessageClass(self.rpc.input_type)


def _rpc(module: ModuleType, service: str, method: str) -> MethodDescriptor:
    return module.DESCRIPTOR.services_by_name[service].methods_by_name[method]


KINDS = {
    "texture": EntryKind("texture", _rpc(texture_pb2, "TextureService", "GenerateTexture"), ("prompt",), "Textures"),
    "scene": EntryKind("scene", _rpc(scene_pb2, "SceneService", "GenerateScene"), ("kind",), "Scenes"),
    "avatar": EntryKind("avatar", _rpc(avatar_pb2, "AvatarService", "CreateAvatar"), (), "Avatars"),
    "barks": EntryKind("barks", _rpc(dialogue_pb2, "DialogueService", "Say"), (), "Barks"),
}

# Barks are several Say turns of one character; these keys describe them instead of a request.
BARK_KEYS = {"character": str, "situations": list, "lines_per_situation": int, "seed": int, "max_new_tokens": int, "character_file": str,
             "voiced": bool}


@dataclass
class Entry:
    kind: EntryKind
    name: str
    line: int
    output: Path
    fields: dict[str, Any]
    request: Any = None  # the request message (textures, scenes, avatars)
    key_lines: dict[str, int] = field(default_factory=dict)

    def where(self, key: str | None = None) -> int:
        return self.key_lines.get(key, self.line) if key else self.line


@dataclass
class Manifest:
    path: Path
    root: Path
    layout: str
    parallel: int
    entries: list[Entry]

    @property
    def lock_path(self) -> Path:
        return self.path.with_suffix(".lock")


class ManifestError(Exception):
    """Every problem found in a manifest, each with its line."""

    def __init__(self, path: Path, problems: list[tuple[int, str]]):
        self.problems = sorted(problems)
        super().__init__("\n".join(f"{path.name}:{line}: {message}" for line, message in self.problems))


def _header_lines(text: str, kind: str) -> list[int]:
    pattern = re.compile(rf"^[ \t]*\[\[[ \t]*{re.escape(kind)}[ \t]*\]\]", re.MULTILINE)
    return [text.count("\n", 0, match.start()) + 1 for match in pattern.finditer(text)]


def _key_lines(lines: list[str], start: int) -> dict[str, int]:
    """Line of each `key =` from a table header (1-based `start`) to the next header."""
    found: dict[str, int] = {}
    for number in range(start, len(lines)):
        text = lines[number].strip()
        if text.startswith("["):
            break
        match = re.match(r"([A-Za-z0-9_\"-]+)\s*=", text)
        if match:
            found.setdefault(match.group(1).strip('"'), number + 1)
    return found


def _enum_value(field: FieldDescriptor, value: Any) -> Any:
    """Accept `both` for TILING_BOTH; leave anything else for the parser to judge."""
    if not isinstance(value, str):
        return value
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", field.enum_type.name).upper() + "_"
    name = value.upper()
    return name if name.startswith(prefix) or name not in {v.name.removeprefix(prefix) for v in field.enum_type.values} else prefix + name


def _normalise(descriptor, data: dict) -> dict:
    out = {}
    for key, value in data.items():
        field = descriptor.fields_by_name.get(key)
        if field is not None and field.type == FieldDescriptor.TYPE_ENUM:
            value = [_enum_value(field, v) for v in value] if isinstance(value, list) else _enum_value(field, value)
        elif field is not None and field.type == FieldDescriptor.TYPE_MESSAGE and isinstance(value, dict) and not field.message_type.GetOptions().map_entry:
            value = _normalise(field.message_type, value)
        elif field is not None and field.type == FieldDescriptor.TYPE_MESSAGE and isinstance(value, list):
            value = [_normalise(field.message_type, v) if isinstance(v, dict) else v for v in value]
        out[key] = value
    return out


def _build_request(entry: Entry, problems: list[tuple[int, str]]) -> None:
    descriptor = entry.kind.request_class.DESCRIPTOR
    unknown = [key for key in entry.fields if key not in descriptor.fields_by_name]
    for key in unknown:
        problems.append((entry.where(key), f"{entry.kind.name} {entry.name!r}: unknown field {key!r} "
                                           f"(fields: {', '.join(f.name for f in descriptor.fields)})"))
    if unknown:
        return
    try:
        entry.request = json_format.ParseDict(_normalise(descriptor, entry.fields), entry.kind.request_class())
    except json_format.ParseError as error:
        key = next((k for k in entry.fields if k in str(error)), None)
        problems.append((entry.where(key), f"{entry.kind.name} {entry.name!r}: {error}"))


def _check_barks(entry: Entry, problems: list[tuple[int, str]]) -> None:
    for key, value in entry.fields.items():
        expected = BARK_KEYS.get(key)
        if expected is None:
            problems.append((entry.where(key), f"barks {entry.name!r}: unknown field {key!r} (fields: {', '.join(BARK_KEYS)})"))
        elif not isinstance(value, expected):
            problems.append((entry.where(key), f"barks {entry.name!r}: {key} must be a {expected.__name__}"))
    for key in ("character", "situations"):
        if not entry.fields.get(key):
            problems.append((entry.line, f"barks {entry.name!r}: missing required field {key!r}"))


def _check_character_file(entry: Entry, root: Path, problems: list[tuple[int, str]]) -> None:
    character_file = entry.fields.get("character_file")
    if isinstance(character_file, str):
        try:
            inside_project(root, character_file)
        except UnsafePath as error:
            problems.append((entry.where("character_file"), f"barks {entry.name!r}: character_file {character_file!r} {error}"))


def load_manifest(path: str | Path) -> Manifest:
    path = Path(path).resolve()
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ManifestError(path, [(0, "manifest file does not exist")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(error))) else 0
        raise ManifestError(path, [(line, f"not valid TOML: {error}")]) from None

    lines = text.splitlines()
    problems: list[tuple[int, str]] = []
    settings = data.pop("build", {})
    layout = settings.get("layout", "plain")
    if layout not in LAYOUT_ROOTS:
        build_header = re.search(r"^[ \t]*\[build\]", text, re.MULTILINE)
        build_line = text.count("\n", 0, build_header.start()) + 1 if build_header else 0
        problems.append((_key_lines(lines, build_line).get("layout", build_line),
                         f"build.layout must be one of {', '.join(LAYOUT_ROOTS)}, not {layout!r}"))
        layout = "plain"
    parallel = settings.get("parallel", 2)
    root = path.parent

    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for kind_name, tables in data.items():
        header_lines = _header_lines(text, kind_name) or [0]
        if kind_name not in KINDS:
            problems.append((header_lines[0], f"unknown entry kind {kind_name!r}; expected one of {', '.join(KINDS)}"))
            continue
        if not isinstance(tables, list):
            problems.append((0, f"{kind_name} entries are written [[{kind_name}]], one table per entry"))
            continue
        kind = KINDS[kind_name]
        for index, table in enumerate(tables):
            line = header_lines[index] if index < len(header_lines) else 0
            key_lines = _key_lines(lines, line) if line else {}
            fields = dict(table)
            name = fields.pop("name", None)
            if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name or ""):
                problems.append((key_lines.get("name", line), f"{kind_name} entry needs a `name` of letters, digits, '_', '-' or '.'"))
                continue
            if name in seen:
                problems.append((line, f"duplicate entry name {name!r} (first defined on line {seen[name]})"))
                continue
            seen[name] = line
            output_text = fields.pop("output", f"{LAYOUT_ROOTS[layout]}/{kind.folder}/{name}")
            try:
                output = inside_project(root, output_text)
            except UnsafePath as error:
                problems.append((key_lines.get("output", line), f"{kind_name} {name!r}: output {output_text!r} {error}"))
                continue
            entry = Entry(kind, name, line, output, fields, key_lines=key_lines)
            if kind_name == "barks":
                _check_barks(entry, problems)
                _check_character_file(entry, root, problems)
            else:
                missing = [key for key in kind.required if key not in fields]
                for key in missing:
                    problems.append((line, f"{kind_name} {name!r}: missing required field {key!r}"))
                if kind_name == "avatar" and not fields.get("description") and not fields.get("parameters"):
                    problems.append((line, f"avatar {name!r}: needs a `description` or `parameters`"))
                if not missing:
                    _build_request(entry, problems)
            entries.append(entry)
    if problems:
        raise ManifestError(path, problems)
    return Manifest(path, root, layout, int(parallel), entries)
