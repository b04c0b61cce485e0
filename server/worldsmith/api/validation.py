"""Transport-level checks every RPC gets: the request parses, every enum value is known, every number is finite."""

from __future__ import annotations

import math

from google.protobuf import message as message_mod
from google.protobuf.descriptor import FieldDescriptor

from worldsmith.errors import InvalidArgument


def parse(message_class, data: bytes, what: str = "request"):
    try:
        return message_class.FromString(data)
    except message_mod.DecodeError as error:
        raise InvalidArgument(what, f"is not a valid {message_class.DESCRIPTOR.full_name} message ({error})") from None


def field_problems(message, prefix: str = "") -> list[tuple[str, str]]:
    """Paths of enum fields holding numbers their enum does not define (proto3 keeps them), and of float or
    double fields holding NaN or an infinity (JSON cannot carry them and no field means them), at any depth."""
    violations: list[tuple[str, str]] = []
    for field, value in message.ListFields():
        path = f"{prefix}{field.name}"
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            violations += _nested_problems(field, value, path)
            continue
        values = value if _is_repeated(field) else [value]
        for i, item in enumerate(values):
            where = f"{path}[{i}]" if _is_repeated(field) else path
            if field.type == FieldDescriptor.TYPE_ENUM and item not in field.enum_type.values_by_number:
                allowed = ", ".join(v.name for v in field.enum_type.values)
                violations.append((where, f"unknown {field.enum_type.name} value {item}; expected one of {allowed}"))
            elif field.type in _FLOATING and not math.isfinite(item):
                violations.append((where, f"is {item}; send a finite number"))
    return violations


def _nested_problems(field: FieldDescriptor, value, path: str) -> list[tuple[str, str]]:
    if field.message_type.GetOptions().map_entry:
        value_type = field.message_type.fields_by_name["value"].type
        if value_type in _FLOATING:
            return [(f"{path}[{key!r}]", f"is {item}; send a finite number") for key, item in value.items()
                    if not math.isfinite(item)]
        if value_type != FieldDescriptor.TYPE_MESSAGE:
            return []
        return [problem for key, item in value.items() for problem in field_problems(item, f"{path}[{key!r}].")]
    if _is_repeated(field):
        return [problem for i, item in enumerate(value) for problem in field_problems(item, f"{path}[{i}].")]
    return field_problems(value, f"{path}.")


_FLOATING = (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE)


def _is_repeated(field: FieldDescriptor) -> bool:
    return field.is_repeated  # protobuf 7 dropped FieldDescriptor.label


def check(message) -> None:
    violations = field_problems(message)
    if violations:
        raise InvalidArgument.many(violations)
