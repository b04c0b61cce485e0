"""C# source checks: the compiler's preprocessor (#if branches) and tree-sitter parse errors."""

from __future__ import annotations

import itertools
import re
from functools import cache

import tree_sitter_c_sharp
from tree_sitter import Language, Parser

_DIRECTIVE = re.compile(r"^\s*#\s*(if|elif|else|endif)\b(.*)$")
_SYMBOL = re.compile(r"\b(?!true\b|false\b)[A-Za-z_][A-Za-z0-9_]*\b")


def symbols(source: str) -> list[str]:
    """Conditional-compilation symbols the file tests, sorted."""
    found: set[str] = set()
    for line in source.splitlines():
        match = _DIRECTIVE.match(line)
        if match and match.group(1) in ("if", "elif"):
            found.update(_SYMBOL.findall(match.group(2).split("//")[0]))
    return sorted(found)


def _holds(expression: str, defined: frozenset[str]) -> bool:
    expression = expression.split("//")[0]
    python = _SYMBOL.sub(lambda m: str(m.group(0) in defined), expression)
    python = python.replace("&&", " and ").replace("||", " or ").replace("!=", " != ")
    python = re.sub(r"!(?!=)", " not ", python).replace("true", "True").replace("false", "False")
    return bool(eval(python, {"__builtins__": {}}))  # noqa: S307 - only True/False/and/or/not remain


def preprocess(source: str, defined: frozenset[str]) -> str:
    """The source as the compiler sees it with `defined` symbols: inactive lines blanked."""
    out = []
    # Each frame: (this branch active, some branch of this #if already taken, parent active).
    stack: list[tuple[bool, bool, bool]] = []
    active = True
    for line in source.splitlines():
        match = _DIRECTIVE.match(line)
        if not match:
            out.append(line if active else "")
            continue
        kind, expression = match.groups()
        if kind == "if":
            holds = active and _holds(expression, defined)
            stack.append((holds, holds, active))
            active = holds
        elif kind == "elif":
            _, taken, parent = stack.pop()
            holds = parent and not taken and _holds(expression, defined)
            stack.append((holds, taken or holds, parent))
            active = holds
        elif kind == "else":
            _, taken, parent = stack.pop()
            stack.append((parent and not taken, True, parent))
            active = parent and not taken
        else:
            _, _, parent = stack.pop()
            active = parent
        out.append("")
    assert not stack, "unbalanced #if/#endif"
    return "\n".join(out) + "\n"


def configurations(source: str) -> list[frozenset[str]]:
    """Every combination of the symbols the file tests (the compiler sees exactly one)."""
    names = symbols(source)
    return [
        frozenset(name for name, on in zip(names, flags) if on)
        for flags in itertools.product((False, True), repeat=len(names))
    ]


@cache
def _parser() -> Parser:
    return Parser(Language(tree_sitter_c_sharp.language()))


def syntax_errors(source: str) -> list[str]:
    """'line:column near <text>' for every ERROR or MISSING node tree-sitter reports."""
    tree = _parser().parse(source.encode())
    errors: list[str] = []

    def visit(node) -> None:
        if node.is_error or node.is_missing:
            row, column = node.start_point
            text = node.text.decode(errors="replace")[:40] if node.text else node.type
            errors.append(f"{row + 1}:{column + 1} near {text!r}")
            return
        if node.has_error:
            for child in node.children:
                visit(child)

    visit(tree.root_node)
    return errors
