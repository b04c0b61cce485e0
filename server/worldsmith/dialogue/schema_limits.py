"""Bounds on the action arguments schemas a card may carry: size, nesting and references, checked before compiling."""

from __future__ import annotations

from urllib.parse import unquote

MAX_SCHEMA_CHARS = 16_384     # the schema's JSON text
MAX_SCHEMA_DEPTH = 16         # nested objects and arrays in that text
MAX_SCHEMA_NODES = 1_000      # JSON values in the schema with every $ref expanded
MAX_SCHEMA_REF_CHAIN = 8      # $refs followed from one place (a ref to a def that refs another ...)
MAX_SCHEMA_PROPERTIES = 64    # properties of one object schema
MAX_SCHEMA_BOUND = 4_096      # minLength, maxItems and the other length and count keywords

BOUND_KEYWORDS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minContains", "maxContains")
DATA_KEYWORDS = ("const", "enum", "default", "examples")   # values, not schemas: never followed as refs
NAMED_SCHEMAS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")  # name -> schema
REFUSED_KEYWORDS = ("$dynamicRef", "$recursiveRef", "$id", "$anchor", "$dynamicAnchor")


class UnsafeSchema(ValueError):
    """The schema breaks one of the bounds above or refers outside itself; the message says which."""


def check_text(text: str) -> None:
    """Refuse a schema text too long or too deeply nested to parse safely."""
    if len(text) > MAX_SCHEMA_CHARS:
        raise UnsafeSchema(f"is {len(text)} characters; at most {MAX_SCHEMA_CHARS}")
    depth = nesting_depth(text)
    if depth > MAX_SCHEMA_DEPTH:
        raise UnsafeSchema(f"nests {depth} levels of objects and arrays; at most {MAX_SCHEMA_DEPTH}")


def nesting_depth(text: str) -> int:
    """The deepest nesting of [ and { in JSON text, counted outside strings, without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def check_schema(schema: dict) -> None:
    """Refuse refs that are not local or that recurse, too many properties, huge bounds and too many nodes."""
    _Expansion(schema).visit(schema, ())


class _Expansion:
    """Walks the schema as the decoder would see it, every $ref replaced by its target."""

    def __init__(self, root: dict):
        self.root = root
        self.nodes = 0

    def count(self) -> None:
        self.nodes += 1
        if self.nodes > MAX_SCHEMA_NODES:
            raise UnsafeSchema(f"has more than {MAX_SCHEMA_NODES} values with its $refs expanded; make it smaller")

    def visit(self, value, refs: tuple[str, ...]) -> None:
        self.count()
        if isinstance(value, list):
            for item in value:
                self.visit(item, refs)
        elif isinstance(value, dict):
            self.visit_object(value, refs)

    def visit_object(self, schema: dict, refs: tuple[str, ...]) -> None:
        for keyword in REFUSED_KEYWORDS:
            if keyword in schema:
                raise UnsafeSchema(f"uses {keyword}; use only local references such as {{\"$ref\": \"#/$defs/item\"}}")
        properties = schema.get("properties")
        if isinstance(properties, dict) and len(properties) > MAX_SCHEMA_PROPERTIES:
            raise UnsafeSchema(f"has an object schema with {len(properties)} properties; at most {MAX_SCHEMA_PROPERTIES}")
        for keyword in BOUND_KEYWORDS:
            bound = schema.get(keyword)
            if isinstance(bound, (int, float)) and not isinstance(bound, bool) and bound > MAX_SCHEMA_BOUND:
                raise UnsafeSchema(f"sets {keyword} to {bound:g}; at most {MAX_SCHEMA_BOUND}")
        reference = schema.get("$ref")
        if isinstance(reference, str):
            self.visit(self.resolve(reference, refs), (*refs, reference))
        for keyword, value in schema.items():
            if keyword in NAMED_SCHEMAS and isinstance(value, dict):
                self.count()
                for named in value.values():
                    self.visit(named, refs)
            elif keyword not in DATA_KEYWORDS and not (keyword == "$ref" and isinstance(value, str)):
                self.visit(value, refs)

    def resolve(self, reference: str, refs: tuple[str, ...]):
        if reference == "#" or reference in refs:
            raise UnsafeSchema(f"$ref {reference!r} refers to itself; the decoder needs a schema without recursion")
        if len(refs) >= MAX_SCHEMA_REF_CHAIN:
            raise UnsafeSchema(f"$ref {reference!r} ends a chain of more than {MAX_SCHEMA_REF_CHAIN} references; inline some of them")
        if not reference.startswith("#/"):
            raise UnsafeSchema(f"$ref {reference!r} is not a local reference; refer only inside the schema, e.g. \"#/$defs/item\"")
        target = self.root
        for token in reference[2:].split("/"):
            token = unquote(token).replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict) and token in target:
                target = target[token]
            elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
                target = target[int(token)]
            else:
                raise UnsafeSchema(f"$ref {reference!r} points at nothing in the schema")
        return target
