"""Transport-level checks every RPC gets: the request parses, and every enum value is known."""

from __future__ import annotations

from google.protobuf import message as message_mod
from google.protobuf.descriptor import FieldDescriptor

from worldsmith.errors import InvalidArgument


def parse(message_class, data: bytes, what: str = "request"):
    try:
        return message_class.FromString(data)
    except message_mod.DecodeError as error:
        raise InvalidArgument(what, f"is not a valid {message_class.DESCRIPTOR.full_name} message ({error})") from None


def unknown_enum_values(message, prefix: str = "") -> list[tuple[str, str]]:
    """Paths of enum fields holding numbers their enum does not define (proto3 keeps them)."""
    violations: list[tuple[str, str]] = []
    for field, value in message.ListFields():
        path = f"{prefix}{field.name}"
        if field.type == FieldDescriptor.TYPE_ENUM:
            values = value if _is_repeated(field) else [value]
            for i, number in enumerate(values):
                if number not in field.enum_type.values_by_number:
                    where = f"{path}[{i}]" if _is_repeated(field) else path
                    allowed = ", ".join(v.name for v in field.enum_type.values)
                    violations.append((where, f"unknown {field.enum_type.name} value {number}; expected one of {allowed}"))
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.GetOptions().map_entry:
                value_field = field.message_type.fields_by_name["value"]
                if value_field.type == FieldDescriptor.TYPE_MESSAGE:
                    for key, item in value.items():
                        violations += unknown_enum_values(item, f"{path}[{key!r}].")
            elif _is_repeated(field):
                for i, item in enumerate(value):
                    violations += unknown_enum_values(item, f"{path}[{i}].")
            else:
                violations += unknown_enum_values(value, f"{path}.")
    return violations


def _is_repeated(field: FieldDescriptor) -> bool:
    return field.is_repeated  # protobuf 7 dropped FieldDescriptor.label


def check(message) -> None:
    violations = unknown_enum_values(message)
    if violations:
        raise InvalidArgument.many(violations)
