"""Untrusted text made safe for the place it lands.

Names, sources and attribute values come from recipes and layers written by other offices, so
every output treats them as data. This module owns the small, pure functions that prepare such
text for one destination each: the terminal (:func:`for_terminal`: control, escape and bidi
characters shown visibly, one line), XML 1.0 (:func:`for_xml`: characters XML forbids shown
visibly, so a strict parser accepts the file), CommonMark/GitHub Markdown (:func:`for_markdown`:
no link, image, HTML, emphasis, code or table syntax can form), strict JSON (:func:`for_json`:
no ``NaN``/``Infinity``, every string round-trips) and QGIS text that QGIS would evaluate as an
expression (:func:`for_qgis_text`, :func:`qgis_string`); data formats keep text as it is but
for what UTF-8 cannot encode (:func:`for_utf8`). Escaping for HTML and JSON in a web page
lives with the web map writer; the visible form of a character is the same everywhere
(:func:`visible`), so a name reads alike in every output.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

#: Characters that bend the reading order of a terminal line ("Trojan Source", CVE-2021-42574).
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# C0 and C1 controls, DEL, bidi controls, Unicode line breaks, lone surrogates and the two
# non-characters XML forbids.
_TERMINAL_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\u2028\u2029\ud800-\udfff\ufffe\uffff]")
# XML 1.0 allows tab, newline and carriage return among the controls.
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def visible(char: str) -> str:
    r"""Return the visible escape of one character: ``\n``, ``\t``, ``\r`` or ``\xNN``/``\uNNNN``.

    Examples
    --------
    >>> visible("\x1b"), visible("\n"), visible("\u202e")
    ('\\x1b', '\\n', '\\u202e')
    """
    special = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in special:
        return special[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def for_terminal(text: object) -> str:
    r"""Return ``text`` as one line a terminal prints literally.

    Control characters (newlines included), ANSI escape sequences' ``ESC``, DEL, C1 controls and
    bidirectional overrides are replaced by their visible escapes (:func:`visible`), so a value
    can neither move the cursor, recolour the screen, reorder the line nor start a new one.

    Parameters
    ----------
    text : object
        Any value; converted with ``str``.

    Returns
    -------
    str
        The same text with every unsafe character shown as an escape.

    Examples
    --------
    >>> for_terminal("Zone\x1b[31m A\nB")
    'Zone\\x1b[31m A\\nB'
    """
    return _TERMINAL_UNSAFE.sub(lambda m: visible(m.group(0)), str(text))


def for_xml(text: object) -> str:
    r"""Return ``text`` with the characters XML 1.0 forbids replaced by visible escapes.

    The result still needs the usual ``&``/``<`` escaping by whatever writes the XML (ElementTree
    does it); this only removes what no escaping can carry.

    Examples
    --------
    >>> for_xml("a\x00b\tc")
    'a\\x00b\tc'
    """
    return _XML_UNSAFE.sub(lambda m: visible(m.group(0)), str(text))


def is_printable_line(text: str) -> bool:
    r"""Return whether ``text`` is one line with no character a terminal would interpret.

    Examples
    --------
    >>> is_printable_line("长春 {{x}} </script> \\x07"), is_printable_line("a\x07")
    (True, False)
    """
    return not _TERMINAL_UNSAFE.search(text)


def for_utf8(text: str) -> str:
    r"""Return ``text`` with lone surrogates (which UTF-8 cannot encode) shown visibly.

    Data formats keep text as it is; only these code points, which no UTF-8 file can hold and
    which reach Python strings only through lossy decoding, become their escapes.

    Examples
    --------
    >>> for_utf8("a\ud800b")
    'a\\ud800b'
    """
    return _SURROGATE.sub(lambda m: visible(m.group(0)), text)


# ----------------------------------------------------------------------------- Markdown

# ASCII punctuation that starts inline syntax anywhere in a line (links, images, emphasis,
# strikethrough, code, raw HTML, autolinks, entities, table pipes, math) or block syntax at the
# start of a line. CommonMark makes a backslash before any ASCII punctuation a literal character,
# so escaping more than needed is harmless; the rest (``,.:;/?%'"-``) is inert mid-line and only
# treated below where it begins the text.
_MD_SPECIAL = re.compile(r"[\\`*_{}\[\]<>()#+!|~&=$^@]")
# What makes the start of a block: a list marker (``-``, ``1.``, ``1)``).
_MD_LEADING = re.compile(r"^(-|\d{1,9}[.)])")


def for_markdown(text: object) -> str:
    r"""Return ``text`` as Markdown inline content that renders as exactly that text.

    Characters a terminal would interpret (:func:`for_terminal`: newlines, tabs, escapes,
    bidi controls) are shown visibly, so the text stays on its line and in its table cell;
    Markdown punctuation is backslash-escaped (CommonMark renders ``\x`` as ``x`` for ASCII
    punctuation), so no link, image, HTML, emphasis, code span, entity or table cell can
    form; whitespace at either end is written as character references (``&#32;``) so cells
    and list items keep it and four leading spaces cannot open a code block.

    Parameters
    ----------
    text : object
        Any value; converted with ``str``.

    Returns
    -------
    str
        Markdown source for the literal text.

    Examples
    --------
    >>> print(for_markdown("[x](http://e) <b> a|b & 1*2"))
    \[x\]\(http://e\) \<b\> a\|b \& 1\*2
    >>> print(for_markdown("- 2020-07-30"))
    \- 2020-07-30
    """
    # The backslashes for_terminal writes (``\x1b``) are escaped with the rest.
    out = _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), for_terminal(text))
    out = _MD_LEADING.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], out)
    # Renderers trim cells, headings and paragraphs (markdown-it-py any Unicode whitespace):
    # character references at the ends keep those characters, and no block can open.
    body = out.strip()
    if body != out:
        lead = out[: len(out) - len(out.lstrip())]
        trail = out[len(lead) + len(body) :] if body else ""
        out = _references(lead) + body + _references(trail)
    return out


def _references(text: str) -> str:
    return "".join(f"&#{ord(c)};" for c in text)


# ----------------------------------------------------------------------------- JSON


def finite_json(value: Any) -> Any:
    """Return ``value`` with every non-finite float (NaN, ±inf) replaced by ``None``.

    Walks dicts, lists and tuples (tuples become lists); other values are returned as they are.

    Examples
    --------
    >>> finite_json({"a": [1.0, float("nan")], "b": (float("inf"),)})
    {'a': [1.0, None], 'b': [None]}
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(v) for v in value]
    return value


def for_json(value: Any, *, indent: int | None = None) -> str:
    r"""Return ``value`` as strict JSON (RFC 8259) that encodes as UTF-8 and round-trips.

    Non-finite floats become ``null`` (``json.dumps`` would write ``NaN``/``Infinity``, which
    strict parsers refuse); non-ASCII text stays readable; a lone surrogate (which UTF-8
    cannot encode) is written as its ``\uXXXX`` escape, which ``json.loads`` reads back as the
    same character.

    Examples
    --------
    >>> for_json({"n": float("nan"), "s": "长春\ud800"})
    '{"n": null, "s": "长春\\ud800"}'
    """
    text = json.dumps(finite_json(value), ensure_ascii=False, indent=indent, allow_nan=False)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


# ----------------------------------------------------------------------------- QGIS text


def qgis_string(text: object) -> str:
    r"""Return ``text`` as a QGIS expression string literal (as ``QgsExpression::quotedString``).

    Examples
    --------
    >>> print(qgis_string("it's a\\b"))
    'it''s a\\b'
    """
    quoted = (
        str(text).replace("'", "''").replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    )
    return f"'{quoted}'"


def for_qgis_text(text: object) -> str:
    r"""Return ``text`` so that QGIS shows it literally where it evaluates ``[% ... %]``.

    Layout labels and legend entries replace every ``[% expression %]`` by its value. Text
    without ``[%`` passes unchanged; text with it becomes one expression that evaluates to the
    text itself: a string literal, split wherever the text holds ``%]`` (which would otherwise
    end the expression early).

    Examples
    --------
    >>> for_qgis_text("Plan A")
    'Plan A'
    >>> print(for_qgis_text("[% 7*7 %]"))
    [% '[% 7*7 %' || ']' %]
    """
    text = str(text)
    if "[%" not in text:
        return text
    return "[% " + qgis_string(text).replace("%]", "%' || ']") + " %]"
