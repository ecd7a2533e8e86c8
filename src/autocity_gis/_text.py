"""Untrusted text made safe for the place it lands.

Names, sources and attribute values come from recipes and layers written by other offices, so
every output treats them as data. This module owns the small, pure functions that prepare such
text for one destination each: the terminal (:func:`for_terminal`: control, escape and bidi
characters shown visibly, one line) and XML 1.0 (:func:`for_xml`: characters XML forbids shown
visibly, so a strict parser accepts the file). Escaping for HTML, JSON in a page and Markdown
lives with the writers of those outputs; the visible form of a character is the same everywhere
(:func:`visible`), so a name reads alike in every output.
"""

from __future__ import annotations

import re

#: Characters that bend the reading order of a terminal line ("Trojan Source", CVE-2021-42574).
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# C0 and C1 controls, DEL, bidi controls, Unicode line breaks, lone surrogates and the two
# non-characters XML forbids.
_TERMINAL_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\u2028\u2029\ud800-\udfff\ufffe\uffff]")
# XML 1.0 allows tab, newline and carriage return among the controls.
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


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
