"""Per-destination escaping (``_text``) checked by the destination's own parser.

XML by expat (``xml.etree.ElementTree``), Markdown by a CommonMark renderer (markdown-it-py),
JSON by ``json.loads`` with non-finite constants refused, terminal lines by Unicode's character
categories. Inputs are the hand-written payloads of ``payloads.py`` plus hypothesis' text.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pytest
from common import FORBIDDEN, terminal_safe
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from payloads import ALL, BLOCK_STARTS, PAYLOADS, shown, xml_shown

from autocity_gis._text import (
    for_json,
    for_markdown,
    for_qgis_text,
    for_terminal,
    for_xml,
    qgis_string,
)

# Any character, surrogates included (they reach Python strings through surrogateescape).
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
SAMPLES = [*PAYLOADS, ALL, *BLOCK_STARTS, "", " ", "  lead", "trail  ", "\u3000wide\xa0", "\ud800"]
MD = MarkdownIt("commonmark").enable("table")
# ----------------------------------------------------------------------------- XML


def test_every_bmp_character_parses_in_xml_and_allowed_ones_survive() -> None:
    chars = [chr(c) for c in range(0x10000)] + ["\U0001f600", "\U0010ffff"]
    body = "".join(f"<c v={quoteattr(for_xml(c))}>{escape(for_xml(c))}</c>" for c in chars)
    root = ET.fromstring(f"<r>{body}</r>")  # expat: strict XML 1.0
    for char, element in zip(chars, root, strict=True):
        code = ord(char)
        legal = char in "\t\n\r" or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or (
            code >= 0x10000
        )
        if legal:
            assert (element.text or "") == ("\n" if char == "\r" else char)  # XML normalises CR
            assert element.get("v") == char
        else:
            assert element.text == shown(char) and element.get("v") == shown(char)


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_for_xml_always_parses(value: str) -> None:
    root = ET.fromstring(f"<r v={quoteattr(for_xml(value))}>{escape(for_xml(value))}</r>")
    assert root.get("v") == xml_shown(value)


# ----------------------------------------------------------------------------- Markdown


def _inline_text(token: Any) -> str:
    """The text a reader sees of an inline token (entities and escapes resolved)."""
    return "".join(child.content for child in token.children or [])


def _check_markdown(source: str) -> list[Any]:
    tokens = MD.parse(source)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert not kinds & FORBIDDEN, (source, kinds & FORBIDDEN)
    return tokens


@pytest.mark.parametrize("value", SAMPLES)
def test_markdown_paragraph_heading_list_and_cell_show_the_text(value: str) -> None:
    md = for_markdown(value)
    assert "\n" not in md and "\r" not in md
    expected = shown(value)
    contexts = {
        "paragraph": f"{md}\n",
        "heading": f"# Area check: {md}\n",
        "list": f"- {md}\n- second\n",
        "cell": f"| a | b |\n|---|---|\n| {md} | x |\n",
    }
    for name, source in contexts.items():
        tokens = _check_markdown(source)
        if not value:
            continue  # nothing to see; the syntax check above is what matters
        inlines = [t for t in tokens if t.type == "inline"]
        prefix = "Area check: " if name == "heading" else ""
        # in the table: header a, header b, then the first body cell
        seen = _inline_text(inlines[2] if name == "cell" else inlines[0])
        assert seen == prefix + expected, (name, source)
        if name == "list":
            assert sum(t.type == "list_item_open" for t in tokens) == 2
        if name == "cell":
            assert sum(t.type == "td_open" for t in tokens) == 2


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_markdown_any_text_renders_literally(value: str) -> None:
    tokens = _check_markdown(f"| a |\n|---|\n| x {for_markdown(value)} y |\n")
    cells = [t for t in tokens if t.type == "inline"]
    assert _inline_text(cells[1]) == f"x {shown(value)} y"


def test_markdown_payloads_render_no_markup() -> None:
    html = MD.render(f"Name: {for_markdown(ALL)}\n")
    for tag in ("<a ", "<img", "<script", "<code", "<em", "<s>", "<!--"):
        assert tag not in html


# ----------------------------------------------------------------------------- JSON


def _strict_loads(text: str) -> Any:
    def refuse(name: str) -> None:
        raise AssertionError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        ANY_TEXT,
        st.one_of(ANY_TEXT, st.floats(), st.lists(st.floats(), max_size=3), st.integers()),
        max_size=5,
    )
)
def test_for_json_is_strict_and_round_trips(value: dict[str, Any]) -> None:
    text = for_json(value, indent=2)
    text.encode("utf-8")  # encodable: no lone surrogate left raw
    back = _strict_loads(text)

    def finite(v: Any) -> Any:
        if isinstance(v, float):
            return v if v == v and v not in (float("inf"), float("-inf")) else None
        if isinstance(v, list):
            return [finite(x) for x in v]
        return v

    assert back == {k: finite(v) for k, v in value.items()}


# ----------------------------------------------------------------------------- terminal


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_terminal_lines_hold_no_interpreted_character(value: str) -> None:
    line = for_terminal(value)
    assert terminal_safe(line)
    assert line == shown(value)


@pytest.mark.parametrize("value", SAMPLES)
def test_terminal_payloads(value: str) -> None:
    assert terminal_safe(for_terminal(value))


# ----------------------------------------------------------------------------- QGIS text


def test_qgis_string_quotes_like_qgis() -> None:
    # QgsExpression::quotedString doubles quotes and escapes backslash, newline and tab.
    assert qgis_string("a'b\\c\nd\te") == "'a''b\\\\c\\nd\\te'"


@pytest.mark.parametrize("value", ["[% 7*7 %]", "a %] b [% c", "[%", "%]'[%'"])
def test_qgis_text_is_one_expression_without_early_end(value: str) -> None:
    text = for_qgis_text(value)
    assert text.startswith("[% ") and text.endswith(" %]")
    # QGIS ends an expression at the first "%]": only ours may be there
    assert text.find("%]") == len(text) - 2


def test_qgis_text_leaves_plain_text_alone() -> None:
    assert for_qgis_text("Plan {{phase}} 100%") == "Plan {{phase}} 100%"
