"""The package's shape (issue 12): no module over 600 lines, no function over 100, and no
JavaScript or CSS block in a Python string -- they live in ``webmap/assets``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "autocity_gis"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "_vendor" not in p.parts)
#: What a block of JavaScript or CSS looks like inside a string: a function body, an arrow
#: function, a CSS rule with a declaration.
CODE = re.compile(r"function\s*\(|=>\s*{|[.#]?[\w-]+\s*{\s*[\w-]+\s*:[^;{}]+;")


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE))


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_module_under_600_lines(path: Path) -> None:
    assert path.read_text(encoding="utf-8").count("\n") <= 600


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_functions_under_100_lines(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = {
        node.name: node.end_lineno - node.lineno + 1
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 100
    }
    assert not long


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_javascript_or_css_in_python_strings(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    strings = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    assert not [s[:80] for s in strings if CODE.search(s)]
