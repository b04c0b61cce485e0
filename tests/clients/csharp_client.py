"""What the Unity client puts on the wire, read from its C# source with tree-sitter."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tree_sitter_c_sharp
from tree_sitter import Language, Node, Parser

PACKAGE = Path(__file__).resolve().parents[2] / "clients" / "unity"
RUNTIME = PACKAGE / "Runtime"


class SourceShapeError(AssertionError):
    """The C# no longer has the shape these readers know: read it again and update them."""


@cache
def _parser() -> Parser:
    return Parser(Language(tree_sitter_c_sharp.language()))


def _tree(path: Path) -> Node:
    return _parser().parse(path.read_bytes()).root_node


def _walk(node: Node, kind: str):
    if node.type == kind:
        yield node
    for child in node.named_children:
        yield from _walk(child, kind)


def _text(node: Node) -> str:
    return node.text.decode()


def _string(node: Node) -> str:
    if node.type != "string_literal":
        raise SourceShapeError(f"expected a string literal, found {_text(node)!r}")
    return "".join(_text(part) for part in node.named_children if part.type == "string_literal_content")


def _arguments(invocation: Node) -> list[Node]:
    arguments = invocation.child_by_field_name("arguments")
    return [argument.named_children[0] for argument in arguments.named_children if argument.type == "argument"]


def _proto_name(csharp_type: str) -> str:
    """global::Worldsmith.V1.GenerateSceneRequest -> worldsmith.v1.GenerateSceneRequest."""
    *namespace, name = csharp_type.removeprefix("global::").split(".")
    return ".".join([*(part.lower() for part in namespace), name])


@dataclass(frozen=True)
class Rpc:
    service: str
    method: str
    kind: str  # grpc::MethodType: Unary, ServerStreaming, ClientStreaming, DuplexStreaming
    request_type: str
    response_type: str

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.method}"


def rpcs() -> list[Rpc]:
    """Every `new grpc::Method<Req, Res>(MethodType.X, __ServiceName, "Name", ...)` in the stubs."""
    found = []
    for path in sorted((RUNTIME / "Generated").glob("*Grpc.cs")):
        root = _tree(path)
        service_names = {
            _text(declarator.child_by_field_name("name")): _string(declarator.named_children[-1])
            for declarator in _walk(root, "variable_declarator")
            if _text(declarator.child_by_field_name("name")) == "__ServiceName"
        }
        for creation in _walk(root, "object_creation_expression"):
            generic = next(_walk(creation.child_by_field_name("type"), "generic_name"), None)
            if generic is None or _text(generic.named_children[0]) != "Method":
                continue
            request_type, response_type = (_text(t) for t in generic.named_children[1].named_children)
            kind, service, name = _arguments(creation)[:3]
            found.append(Rpc(service_names[_text(service)], _string(name), _text(kind).split(".")[-1],
                             _proto_name(request_type), _proto_name(response_type)))
    if not found:
        raise SourceShapeError("no grpc::Method in Runtime/Generated")
    return found


@dataclass(frozen=True)
class CallDefaults:
    """CallDefaultsInterceptor and WorldsmithClientOptions: what every call carries."""

    key_header: str
    key_prefix: str
    deadline_s: float

    def metadata(self, api_key: str) -> tuple[tuple[str, str], ...]:
        """The interceptor's headers: none for an empty key (string.IsNullOrEmpty(apiKey) ? null : ...)."""
        return ((self.key_header, self.key_prefix + api_key),) if api_key else ()


def _key_prefix(constructor: Node) -> str:
    """From `authorization = string.IsNullOrEmpty(apiKey) ? null : "Bearer " + apiKey;`."""
    for assignment in _walk(constructor, "assignment_expression"):
        if _text(assignment.child_by_field_name("left")) != "authorization":
            continue
        value = assignment.child_by_field_name("right")
        if value.type != "conditional_expression":
            break
        condition, when_empty, otherwise = value.named_children
        if _text(condition) != "string.IsNullOrEmpty(apiKey)" or when_empty.type != "null_literal":
            break
        if otherwise.type != "binary_expression" or _text(otherwise.child_by_field_name("right")) != "apiKey":
            break
        return _string(otherwise.child_by_field_name("left"))
    raise SourceShapeError("CallDefaultsInterceptor no longer builds `authorization` from the key as expected")


def _key_header(root: Node) -> str:
    """From `headers.Add("authorization", authorization)`."""
    for invocation in _walk(root, "invocation_expression"):
        arguments = _arguments(invocation)
        if _text(invocation.child_by_field_name("function")).endswith(".Add") and len(arguments) == 2 \
                and _text(arguments[1]) == "authorization":
            return _string(arguments[0])
    raise SourceShapeError("CallDefaultsInterceptor adds no authorization header")


_TIMESPAN_SECONDS = {"FromMilliseconds": 0.001, "FromSeconds": 1.0, "FromMinutes": 60.0, "FromHours": 3600.0}


def _default_deadline_s(root: Node) -> float:
    """From `public TimeSpan? DefaultDeadline = TimeSpan.FromSeconds(30);`."""
    for declarator in _walk(root, "variable_declarator"):
        if _text(declarator.child_by_field_name("name")) != "DefaultDeadline":
            continue
        value = declarator.named_children[-1]
        unit = _text(value.child_by_field_name("function")).removeprefix("TimeSpan.")
        if value.type == "invocation_expression" and unit in _TIMESPAN_SECONDS:
            return float(_text(_arguments(value)[0]).rstrip("dDfF")) * _TIMESPAN_SECONDS[unit]
    raise SourceShapeError("WorldsmithClientOptions.DefaultDeadline is no longer a TimeSpan.FromX(n)")


def call_defaults() -> CallDefaults:
    interceptor = _tree(RUNTIME / "CallDefaultsInterceptor.cs")
    constructor = next(_walk(interceptor, "constructor_declaration"))
    return CallDefaults(_key_header(interceptor), _key_prefix(constructor),
                        _default_deadline_s(_tree(RUNTIME / "WorldsmithClientOptions.cs")))


def web_forbidden_headers() -> set[str]:
    """UnityWebRequestHandler.ForbiddenHeaders: the request headers a WebGL build leaves out."""
    for declarator in _walk(_tree(RUNTIME / "UnityWebRequestHandler.cs"), "variable_declarator"):
        if _text(declarator.child_by_field_name("name")) == "ForbiddenHeaders":
            return {_string(s).lower() for s in _walk(declarator, "string_literal")}
    raise SourceShapeError("UnityWebRequestHandler has no ForbiddenHeaders set")


def speech_options() -> dict[str, str]:
    """NpcConversation's `request.Speech = new SpeechOptions { Enabled = true }` as {"Enabled": "true"}: what a
    Say turn asks of the server once an NpcVoice has turned speech on."""
    for assignment in _walk(_tree(RUNTIME / "NpcConversation.cs"), "assignment_expression"):
        if _text(assignment.child_by_field_name("left")) != "request.Speech":
            continue
        initializer = next(_walk(assignment.child_by_field_name("right"), "initializer_expression"), None)
        if initializer is None:
            break
        return {_text(pair.child_by_field_name("left")): _text(pair.child_by_field_name("right"))
                for pair in initializer.named_children if pair.type == "assignment_expression"}
    raise SourceShapeError("NpcConversation no longer sets request.Speech from an object initializer")
