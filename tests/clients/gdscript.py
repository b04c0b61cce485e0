"""A GDScript 4 interpreter for the add-on's own scripts: gdtoolkit parses them, this runs the trees."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from gdtoolkit.parser import parser
from lark import Token, Tree


class GDScriptError(Exception):
    """The script did something this interpreter (or Godot) refuses, named with its line."""


class PackedByteArray(bytearray):
    pass


class PackedStringArray(list):
    pass


@dataclass
class Vector2:
    x: float = 0.0
    y: float = 0.0


class Signal:
    """A script's `signal`: handlers connected from Python or GDScript, called on emit()."""

    def __init__(self, name: str, on_await: Callable[[], None] | None = None):
        self.name, self.handlers, self.on_await = name, [], on_await
        self.emitted: list[tuple] = []

    def connect(self, handler) -> int:
        self.handlers.append(handler)
        return 0

    def emit(self, *args) -> None:
        self.emitted.append(args)
        for handler in list(self.handlers):
            handler(*args)

    def awaited(self):
        """What `await signal` gives: one frame for the engine's own signals; for a script's, the
        last emission (the code that emits it has already run to completion here)."""
        if self.on_await is not None:
            self.on_await()
            return None
        if not self.emitted:
            raise GDScriptError(f"awaiting signal {self.name}, which nothing has emitted: it would never resume")
        args = self.emitted[-1]
        return args[0] if len(args) == 1 else list(args)


@dataclass
class Function:
    name: str
    node: Tree
    static: bool
    params: list[tuple[str, str | None, Tree | None]]  # name, type, default


@dataclass
class Script:
    """One .gd file: its class_name, constants, member variables, signals and functions."""

    runtime: "Runtime"
    class_name: str = ""
    consts: dict[str, Any] = field(default_factory=dict)
    members: list[tuple[str, str | None, Tree | None]] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    functions: dict[str, Function] = field(default_factory=dict)

    def new(self, *args) -> "Instance":
        instance = Instance(self, {})
        for name in self.signals:
            instance.fields[name] = Signal(name)
        for name, type_hint, value in self.members:
            frame = Frame(self, instance, {})
            instance.fields[name] = _convert(frame.eval(value), type_hint) if value else _default(type_hint)
        if "_init" in self.functions:
            instance.call("_init", *args)
        return instance

    def call(self, name: str, *args):
        function = self.functions[name]
        if not function.static:
            raise GDScriptError(f"{self.class_name}.{name}() is not static")
        return Frame(self, None, {}).invoke(function, list(args))


@dataclass(eq=False)
class Instance:
    script: Script
    fields: dict[str, Any]

    def call(self, name: str, *args):
        return Frame(self.script, self, {}).invoke(self.script.functions[name], list(args))

    def __getitem__(self, name: str):
        return self.fields[name]


@dataclass
class BoundFunction:
    """A script function named without calling it (a Callable): `signal.connect(_on_event)`."""

    frame: "Frame"
    function: Function

    def __call__(self, *args):
        return self.frame.invoke(self.function, list(args))

    def bind(self, *bound) -> Callable:
        """Callable.bind(): the bound values follow the caller's arguments."""
        return lambda *args: self(*args, *bound)


class _Return(Exception):
    def __init__(self, value):
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


_TYPES: dict[str, type] = {
    "int": int, "float": float, "bool": bool, "String": str, "Dictionary": dict,
    "Array": list, "PackedByteArray": PackedByteArray, "PackedStringArray": PackedStringArray,
}
_DEFAULTS: dict[str, Callable[[], Any]] = {
    "int": int, "float": float, "bool": bool, "String": str, "Dictionary": dict, "Array": list,
    "PackedByteArray": PackedByteArray, "PackedStringArray": PackedStringArray,
}


def _base_type(type_hint: str | None) -> str | None:
    return type_hint.split("[")[0].strip() if type_hint else None


def _default(type_hint: str | None):
    factory = _DEFAULTS.get(_base_type(type_hint) or "")
    return factory() if factory else None


def _convert(value, type_hint: str | None):
    """What assigning to a typed variable does to the value: int <-> float, Array -> Packed*Array."""
    base = _base_type(type_hint)
    if base in ("PackedByteArray", "PackedStringArray") and type(value) is list:
        return _TYPES[base](value)
    if base == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if base == "int" and isinstance(value, float):
        return int(value)
    return value


def _string_literal(token: str) -> str:
    body = token[3:-3] if token[:3] in ('"""', "'''") else token[1:-1]
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\", "0": "\0"}

    def unescape(match: re.Match) -> str:
        code = match.group(1)
        return chr(int(code[1:], 16)) if code[0] == "u" else escapes[code]

    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", unescape, body)


def _gd_str(value) -> str:
    """str() and string formatting of a value, as Godot prints it."""
    if value is None:
        return "<null>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return str(value)


def _to_int(text: str) -> int:
    """String.to_int(): digits up to the first '.', other characters skipped, a leading '-' kept."""
    digits = "".join(c for c in text.split(".")[0] if c.isdigit())
    value = int(digits) if digits else 0
    return -value if text.lstrip().startswith("-") else value


def _substr(text: str, start: int, length: int = -1) -> str:
    return text[start:] if length < 0 else text[start : start + length]


def _rfind(text: str, what: str, start: int = -1) -> int:
    return text.rfind(what) if start < 0 else text.rfind(what, 0, start + len(what))


def _slice(data: PackedByteArray, begin: int, end: int = 2**31 - 1) -> PackedByteArray:
    return PackedByteArray(data[begin:end])


def _append_array(data, more) -> None:
    data.extend(more)


STRING_METHODS: dict[str, Callable] = {
    "begins_with": str.startswith, "ends_with": str.endswith, "find": str.find, "rfind": _rfind,
    "substr": _substr, "trim_suffix": str.removesuffix, "trim_prefix": str.removeprefix,
    "to_int": _to_int, "to_float": float, "is_empty": lambda s: s == "", "length": len,
    "to_utf8_buffer": lambda s: PackedByteArray(s.encode()), "to_lower": str.lower, "to_upper": str.upper,
    "strip_edges": str.strip, "join": lambda s, parts: s.join(parts), "contains": lambda s, x: x in s,
}
BYTES_METHODS: dict[str, Callable] = {
    "size": len, "is_empty": lambda b: len(b) == 0, "slice": _slice, "append_array": _append_array,
    "get_string_from_utf8": lambda b: bytes(b).decode(errors="replace"),
    "decode_s16": lambda b, offset: int.from_bytes(b[offset:offset + 2], "little", signed=True),
}
ARRAY_METHODS: dict[str, Callable] = {
    "append": list.append, "size": len, "is_empty": lambda a: len(a) == 0, "clear": list.clear,
    "append_array": _append_array, "has": lambda a, x: x in a, "back": lambda a: a[-1] if a else None,
}
DICT_METHODS: dict[str, Callable] = {
    "get": lambda d, key, default=None: d.get(key, default), "has": lambda d, key: key in d,
    "is_empty": lambda d: len(d) == 0, "size": len, "keys": lambda d: list(d), "values": lambda d: list(d.values()),
    "erase": lambda d, key: d.pop(key, None) is not None,
}


def _stringify(value) -> str:
    """JSON.stringify(value) with Godot's defaults: compact, keys sorted, integral floats as 1.0."""
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: str(item[0]))
        return "{" + ",".join(f"{_stringify(str(k))}:{_stringify(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_stringify(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return json.dumps(value, ensure_ascii=False)


def _parse_json(text: str):
    """JSON.parse_string(text): every number becomes a float, and bad JSON is null."""
    try:
        return json.loads(text, parse_int=float)
    except ValueError:
        return None


class JSON:
    stringify = staticmethod(_stringify)
    parse_string = staticmethod(_parse_json)


def _is_type(value, type_hint: str, runtime: "Runtime") -> bool:
    base = _base_type(type_hint)
    if base in runtime.scripts:
        return isinstance(value, Instance) and value.script is runtime.scripts[base]
    expected = _TYPES.get(base)
    if expected is None:
        raise GDScriptError(f"`is {type_hint}` is not supported")
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def _arith(op: str, left, right):
    if op == "+":
        if isinstance(left, str) != isinstance(right, str):
            raise GDScriptError(f"invalid operands {type(left).__name__} + {type(right).__name__}")
        if isinstance(left, PackedByteArray):
            return PackedByteArray(left + right)
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        if isinstance(left, int) and isinstance(right, int):
            return int(left / right)
        return left / right
    if op == "%":
        if isinstance(left, str):
            values = tuple(right) if isinstance(right, list) else (right,)
            return left % tuple(_gd_str(v) if isinstance(v, (bool, type(None))) else v for v in values)
        return int(left - right * int(left / right))
    if op == "**":
        return left**right
    if op == "<<":
        return left << right
    if op == ">>":
        return left >> right
    if op == "&":
        return left & right
    if op == "|":
        return left | right
    if op == "^":
        return left ^ right
    raise GDScriptError(f"operator {op} is not supported")


_COMPARE = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
}
_CHAINS = {
    "arith_expr", "asless_arith_expr", "mdr_expr", "asless_mdr_expr", "shift_expr", "asless_shift_expr",
    "bitw_and", "asless_bitw_and", "bitw_or", "asless_bitw_or", "bitw_xor", "asless_bitw_xor",
    "pow_expr", "asless_pow_expr",
}


@dataclass
class Frame:
    """One function call's locals, with the script and instance it runs in."""

    script: Script
    instance: Instance | None
    locals: dict[str, Any]

    # --- calls ----------------------------------------------------------------------------

    def invoke(self, function: Function, args: list):
        if len(args) > len(function.params):
            raise GDScriptError(f"{function.name}() takes {len(function.params)} arguments, got {len(args)}")
        frame = Frame(self.script, self.instance, {})
        for index, (name, type_hint, default) in enumerate(function.params):
            if index < len(args):
                value = args[index]
            elif default is not None:
                value = frame.eval(default)
            else:
                raise GDScriptError(f"{function.name}() is missing argument {name}")
            frame.locals[name] = _convert(value, type_hint)
        try:
            frame.run(function.node.children[1:])
        except _Return as returned:
            return returned.value
        return None

    def call_method(self, target, name: str, args: list):
        if isinstance(target, Script):
            if name == "new":
                return target.new(*args)
            return Frame(target, None, {}).invoke(target.functions[name], args)
        if isinstance(target, Instance):
            if name in target.script.functions:
                return Frame(target.script, target, {}).invoke(target.script.functions[name], args)
            raise GDScriptError(f"{target.script.class_name} has no function {name}()")
        for kind, methods in ((str, STRING_METHODS), ((bytes, bytearray), BYTES_METHODS), (list, ARRAY_METHODS),
                              (dict, DICT_METHODS)):
            if isinstance(target, kind):
                if name not in methods:
                    raise GDScriptError(f"{type(target).__name__}.{name}() is not supported")
                return methods[name](target, *args)
        if hasattr(target, name):  # Signal, Callable, and the engine's classes
            return getattr(target, name)(*args)
        raise GDScriptError(f"{type(target).__name__} has no method {name}()")

    # --- statements -----------------------------------------------------------------------

    def run(self, statements) -> None:
        for statement in statements:
            self.execute(statement)

    def execute(self, node: Tree) -> None:
        kind = node.data
        if kind == "expr_stmt":
            self.eval(node.children[0])
        elif kind == "func_var_stmt":
            self.declare(node.children[0])
        elif kind == "return_stmt":
            raise _Return(self.eval(node.children[0]) if node.children and node.children[0] is not None else None)
        elif kind == "if_stmt":
            for branch in node.children:
                if branch.data == "else_branch":
                    self.run(branch.children)
                    return
                if bool(self.eval(branch.children[0])):
                    self.run(branch.children[1:])
                    return
        elif kind == "while_stmt":
            while bool(self.eval(node.children[0])):
                try:
                    self.run(node.children[1:])
                except _Break:
                    break
                except _Continue:
                    continue
        elif kind in ("for_stmt", "for_stmt_typed"):
            # for NAME in EXPR: BODY, or for NAME: TYPE in EXPR: BODY
            first_statement = 2 if kind == "for_stmt" else 3
            name, body = node.children[0], node.children[first_statement:]
            values = self.eval(node.children[first_statement - 1])
            for value in range(values) if isinstance(values, int) else list(values):
                self.locals[str(name)] = value
                try:
                    self.run(body)
                except _Break:
                    break
                except _Continue:
                    continue
        elif kind == "pass_stmt":
            pass
        elif kind == "break_stmt":
            raise _Break()
        elif kind == "continue_stmt":
            raise _Continue()
        elif kind == "const_stmt":
            definition = node.children[0]
            self.locals[str(definition.children[0])] = self.eval(definition.children[-1])
        else:
            raise GDScriptError(f"line {node.meta.line}: statement {kind} is not supported")

    def declare(self, node: Tree) -> None:
        name = str(node.children[0])
        if node.data in ("func_var_inf", "func_var_assigned"):
            self.locals[name] = self.eval(node.children[1])
        elif node.data == "func_var_typed_assgnd":
            self.locals[name] = _convert(self.eval(node.children[2]), str(node.children[1]))
        elif node.data == "func_var_typed":
            self.locals[name] = _default(str(node.children[1]))
        else:
            self.locals[name] = None

    def assign(self, target, value) -> None:
        if isinstance(target, Token):
            name = str(target)
            if name in self.locals:
                self.locals[name] = value
            elif self.instance is not None and name in self.instance.fields:
                self.instance.fields[name] = value
            else:
                raise GDScriptError(f"line {target.line}: assignment to undeclared {name}")
        elif target.data == "subscr_expr":
            self.eval(target.children[0])[self.eval(target.children[1])] = value
        elif target.data == "getattr":
            owner = self.eval_attr_chain(target.children[:-2])
            name = str(target.children[-1])
            if isinstance(owner, Instance):
                owner.fields[name] = value
            elif isinstance(owner, dict):
                owner[name] = value
            else:
                setattr(owner, name, value)
        else:
            raise GDScriptError(f"cannot assign to {target.data}")

    # --- expressions ----------------------------------------------------------------------

    def lookup(self, token: Token):
        name = str(token)
        constants = {"true": True, "false": False, "null": None}
        if name in constants:
            return constants[name]
        if name == "self":
            return self.instance
        if name in self.locals:
            return self.locals[name]
        if self.instance is not None and name in self.instance.fields:
            return self.instance.fields[name]
        if name in self.script.consts:
            return self.script.consts[name]
        if name in self.script.functions:
            function = self.script.functions[name]
            return BoundFunction(Frame(self.script, None if function.static else self.instance, {}), function)
        return self.script.runtime.global_name(name, token)

    def attribute(self, owner, name: str):
        if isinstance(owner, Instance):
            if name in owner.fields:
                return owner.fields[name]
            if name in owner.script.consts:
                return owner.script.consts[name]
            raise GDScriptError(f"{owner.script.class_name} has no member {name}")
        if isinstance(owner, Script):
            if name in owner.consts:
                return owner.consts[name]
            raise GDScriptError(f"{owner.class_name} has no constant {name}")
        if isinstance(owner, dict):
            if name not in owner:
                raise GDScriptError(f"invalid access to key {name!r} of a Dictionary")
            return owner[name]
        return getattr(owner, name)

    def eval_attr_chain(self, children):
        """`a.b.c` from the getattr node's children: the first expression, then '.' NAME pairs."""
        value = self.eval(children[0])
        for name in children[2::2]:
            value = self.attribute(value, str(name))
        return value

    def eval(self, node):
        if isinstance(node, Token):
            return self.eval_token(node)
        kind = node.data
        children = node.children
        if kind in ("expr", "par_expr", "type_cast", "actual_type_cast"):  # `x as T` is x here
            return self.eval(children[0])
        if kind == "assnmnt_expr":
            target, op, value = children
            value = self.eval(value)
            if str(op) != "=":
                value = _arith(str(op)[:-1], self.eval(target), value)
            self.assign(target, value)
            return None
        if kind in ("test_expr", "asless_test_expr"):
            return self.eval(children[0]) if bool(self.eval(children[2])) else self.eval(children[4])
        if kind in ("or_test", "asless_or_test"):
            return any(bool(self.eval(c)) for c in children[::2])
        if kind in ("and_test", "asless_and_test"):
            return all(bool(self.eval(c)) for c in children[::2])
        if kind == "asless_actual_not_test":
            return not bool(self.eval(children[1]))
        if kind in ("content_test", "asless_content_test"):
            value = self.eval(children[0])
            for op, container in zip(children[1::2], children[2::2]):
                inside = value in self.eval(container)
                value = not inside if isinstance(op, Tree) else inside
            return value
        if kind in ("comparison", "asless_comparison"):
            left, op, right = children
            return _COMPARE[str(op)](self.eval(left), self.eval(right))
        if kind in _CHAINS:
            value = self.eval(children[0])
            for op, operand in zip(children[1::2], children[2::2]):
                value = _arith(str(op), value, self.eval(operand))
            return value
        if kind == "asless_actual_neg_expr":
            return -self.eval(children[1])
        if kind == "asless_actual_bitw_not":
            return ~self.eval(children[1])
        if kind in ("type_test", "asless_type_test"):
            value = self.eval(children[0])
            for op, type_hint in zip(children[1::2], children[2::2]):
                matches = _is_type(value, str(type_hint), self.script.runtime)
                value = matches if str(op) == "is" else not matches
            return value
        if kind == "await_expr":
            value = self.eval(children[-1])
            return value.awaited() if isinstance(value, Signal) else value
        if kind == "standalone_call":
            return self.call_named(children[0], [self.eval(a) for a in children[1:]])
        if kind == "getattr_call":
            chain = children[0].children
            owner = self.eval_attr_chain(chain[:-2])
            return self.call_method(owner, str(chain[-1]), [self.eval(a) for a in children[1:]])
        if kind == "getattr":
            return self.eval_attr_chain(children)
        if kind == "subscr_expr":
            return self.eval(children[0])[self.eval(children[1])]
        if kind == "array":
            return [self.eval(c) for c in children if not (isinstance(c, Tree) and c.data == "trailing_comma")]
        if kind == "dict":
            result = {}
            for element in children:
                if element.data == "c_dict_element":
                    result[self.eval(element.children[0])] = self.eval(element.children[1])
                elif element.data == "eq_dict_element":
                    result[str(element.children[0])] = self.eval(element.children[1])
            return result
        if kind == "string":
            return _string_literal(str(children[0]))
        raise GDScriptError(f"line {getattr(node.meta, 'line', '?')}: expression {kind} is not supported")

    def eval_token(self, token: Token):
        if token.type == "NUMBER":
            text = str(token).replace("_", "")
            return float(text) if any(c in text for c in ".eE") else int(text)
        if token.type == "HEX":
            return int(str(token).replace("_", ""), 16)
        if token.type == "BIN":
            return int(str(token).replace("_", ""), 2)
        if token.type == "NAME":
            return self.lookup(token)
        raise GDScriptError(f"line {token.line}: token {token.type} is not supported")

    def call_named(self, name_token: Token, args: list):
        name = str(name_token)
        if name in self.script.functions:
            function = self.script.functions[name]
            if not function.static and self.instance is None:
                raise GDScriptError(f"line {name_token.line}: static code calls instance function {name}()")
            return Frame(self.script, None if function.static else self.instance, {}).invoke(function, args)
        if name in self.locals and callable(self.locals[name]):
            return self.locals[name](*args)
        return self.script.runtime.builtin(name, name_token)(*args)


def _function(node: Tree, static: bool) -> Function:
    header = node.children[0]
    params = []
    for arg in header.children[1].children:
        if not isinstance(arg, Tree) or arg.data == "trailing_comma":
            continue
        name = str(arg.children[0])
        if arg.data == "func_arg_typed":
            params.append((name, str(arg.children[1]), arg.children[2] if len(arg.children) > 2 else None))
        elif arg.data == "func_arg_inf":
            params.append((name, None, arg.children[1]))
        elif arg.data == "func_arg_regular":
            params.append((name, None, arg.children[1] if len(arg.children) > 1 else None))
        else:
            raise GDScriptError(f"argument form {arg.data} is not supported")
    return Function(str(header.children[0]), node, static, params)


def _builtin_str(*values) -> str:
    return "".join(_gd_str(v) for v in values)


def _builtin_int(value) -> int:
    return _to_int(value) if isinstance(value, str) else int(value)


BUILTINS: dict[str, Callable] = {
    "str": _builtin_str, "int": _builtin_int, "float": float, "bool": bool, "range": lambda *a: list(range(*a)),
    "maxf": lambda a, b: float(max(a, b)), "Vector2": Vector2,
    "PackedByteArray": lambda values=(): PackedByteArray(values),
    "PackedStringArray": lambda values=(): PackedStringArray(values),
    "Array": lambda values=(): list(values), "Dictionary": lambda values=None: dict(values or {}),
}


class Runtime:
    """Loads scripts and answers the global names they use: their class_names, then `engine`.

    Calls run to completion: `await` on a call waits for nothing, and awaiting a signal takes one
    frame (SceneTree.process_frame) or the signal's last emission (Signal.awaited). Code that must
    return at its first `await` so that its caller can act before it resumes cannot run here.
    """

    def __init__(self, paths: list[Path], engine: dict[str, Any]):
        self.engine = {"JSON": JSON, **engine}
        self.scripts: dict[str, Script] = {}
        loaded = [self._load(path) for path in paths]
        self.by_path = dict(zip(paths, loaded))
        for script in loaded:
            if script.class_name:
                self.scripts[script.class_name] = script
        for script, path in zip(loaded, paths):
            self._evaluate_constants(script, parser.parse(path.read_text(), gather_metadata=True))

    def _load(self, path: Path) -> Script:
        script = Script(self)
        tree = parser.parse(path.read_text(), gather_metadata=True)
        for node in tree.children:
            kind = node.data
            if kind == "classname_stmt":
                script.class_name = str(node.children[0])
            elif kind == "signal_stmt":
                script.signals.append(str(node.children[0]))
            elif kind == "class_var_stmt":
                definition = node.children[0]
                name = str(definition.children[0])
                if definition.data == "class_var_inf":
                    script.members.append((name, None, definition.children[1]))
                elif definition.data == "class_var_typed":
                    script.members.append((name, str(definition.children[1]), None))
                elif definition.data == "class_var_typed_assgnd":
                    script.members.append((name, str(definition.children[1]), definition.children[2]))
                elif definition.data == "class_var_assigned":
                    script.members.append((name, None, definition.children[1]))
                else:
                    script.members.append((name, None, None))
            elif kind == "func_def":
                function = _function(node, static=False)
                script.functions[function.name] = function
            elif kind == "static_func_def":
                function = _function(node.children[0], static=True)
                script.functions[function.name] = function
            elif kind not in ("annotation", "extends_stmt", "const_stmt", "docstr_stmt"):
                raise GDScriptError(f"{path.name}:{node.meta.line}: {kind} is not supported")
        return script

    def _evaluate_constants(self, script: Script, tree: Tree) -> None:
        for node in tree.children:
            if node.data == "const_stmt":
                definition = node.children[0]
                script.consts[str(definition.children[0])] = Frame(script, None, {}).eval(definition.children[-1])

    def global_name(self, name: str, token: Token):
        if name in self.scripts:
            return self.scripts[name]
        if name in self.engine:
            return self.engine[name]
        raise GDScriptError(f"line {token.line}: unknown identifier {name}")

    def builtin(self, name: str, token: Token) -> Callable:
        if name in BUILTINS:
            return BUILTINS[name]
        raise GDScriptError(f"line {token.line}: unknown function {name}()")
