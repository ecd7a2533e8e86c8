"""The texts of report.md and the terminal summary, per language, and how values fill them.

Each language has one data file, ``_texts/report_<lang>.toml``, of ``str.format`` templates
(:mod:`autocity_gis.report` says what is said, the file how). :class:`Lang` fills them: a string
field is user text unless it is :class:`Raw` (the renderer's own, already escaped) and is escaped
for the medium; a number takes the template's format spec, Python's own or the Chinese ones of
:mod:`autocity_gis._zh` (``zh2``: ``1,234.57``, ``zhpct2``: ``−4.76%``, ``zhareas``:
``448.59平方公里（44,859.00公顷）``); ``"A|B"`` formats with ``A``, then the text with ``B``;
None is a dash.
"""

from __future__ import annotations

import functools
import string
import tomllib
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from typing import Any

from ._errors import InputError
from ._zh import zh_areas, zh_number, zh_pct

#: Languages with a text file.
LANGUAGES = ("en", "zh")


class Raw(str):
    """Text the renderer composed from escaped values and its own texts: not escaped again."""

    __slots__ = ()


@functools.cache
def texts(lang: str) -> dict[str, Any]:
    """Return the parsed text file of ``lang`` (``InputError`` for a language without one)."""
    if lang not in LANGUAGES:
        raise InputError(
            f"language {lang!r} is not known; valid languages are: {', '.join(LANGUAGES)}."
        )
    source = resources.files("autocity_gis") / "_texts" / f"report_{lang}.toml"
    return tomllib.loads(source.read_text(encoding="utf-8"))


class _Filler(string.Formatter):
    """``str.format`` whose string fields are escaped and whose numbers may be Chinese."""

    def __init__(self, escape: Callable[[object], str], units: Sequence[str]) -> None:
        self.escape = escape
        self.units = tuple(units)

    def format_field(self, value: Any, format_spec: str) -> str:
        spec, _, then = format_spec.partition("|")
        text = self._field(value, spec)
        return format(text, then) if then else text

    def _field(self, value: Any, spec: str) -> str:
        if value is None:
            try:  # an alignment applies to the dash; a number's spec does not
                return format("—", spec)
            except ValueError:
                return "—"
        if isinstance(value, Raw):
            return format(str(value), spec)
        if isinstance(value, str):
            return format(self.escape(value), spec)
        if spec == "zhareas":
            return zh_areas(value, self.units)
        if spec.startswith("zhpct"):
            return zh_pct(value, int(spec[5:] or 2))
        if spec.startswith("zh"):
            return zh_number(value, int(spec[2:] or 2))
        return format(value, spec)


class Lang:
    """The texts of one language for one medium (Markdown or terminal).

    Parameters
    ----------
    lang : str
        One of :data:`LANGUAGES`.
    escape : callable
        How user text is made literal in the medium (``for_markdown``, ``for_terminal``).
    units : sequence of str
        The recipe's units (``zhareas`` adds 亩 when they include ``mu``).
    """

    def __init__(self, lang: str, escape: Callable[[object], str], units: Sequence[str]) -> None:
        self.lang = lang
        self.texts = texts(lang)
        self._filler = _Filler(escape, units)

    def section(self, name: str) -> Callable[..., str]:
        """Return ``fill(key, **values)`` for the templates of section ``name``."""
        templates = self.texts[name]

        def fill(key: str, **values: Any) -> str:
            return self._filler.format(templates[key], **values)

        return fill

    def fill(self, template: str, **values: Any) -> str:
        """Fill one template taken from the texts (an item of a list of rows)."""
        return self._filler.format(template, **values)

    def word(self, key: str) -> Raw:
        """Return a word of ``[words]`` (the language's own text)."""
        return Raw(self.texts["words"][key])

    def unit(self, unit: str) -> Raw:
        """Return how ``unit`` is written (``km²``, ``公顷``)."""
        return Raw(self.texts["units"].get(unit, unit))

    def name(self, table: str, value: str) -> str:
        """Return ``value`` (an accuracy class, role, format) in the language, else as given."""
        named: str = self.texts[table].get(value, value)
        return named

    def escape(self, value: object) -> Raw:
        """Return user text made literal for the medium."""
        return Raw(self._filler.escape(value))

    def joined(self, values: Iterable[str], sep: str) -> Raw:
        """Return user texts escaped and joined by ``sep``."""
        return Raw(sep.join(self._filler.escape(v) for v in values))


def some_ids(ids: tuple[str, ...] | list[str], sep: str, limit: int | None) -> str:
    """Join ``ids``, the first ``limit`` of them and a count of the rest when ``limit`` is set.

    >>> some_ids(["a", "b", "c"], ", ", 2)
    'a, b, … (+1)'
    """
    if limit is None or len(ids) <= limit:
        return sep.join(ids)
    return sep.join(ids[:limit]) + f"{sep}… (+{len(ids) - limit})"
