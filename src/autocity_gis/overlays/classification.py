"""Land-use classification tables shipped with the package, from the published standards.

This module owns the class tables a land-use overlay is accounted by: GB/T 21010-2017
(土地利用现状分类, the land-use standard), the third national land survey's working
classification (TD/T 1055-2019 三调工作分类: the codes survey layers actually carry, 05H1, 08H2,
00 湿地 ...) and the 2023 national land- and sea-use classification guide
(国土空间调查、规划、用途管制用地用海分类指南, MNR 自然资发〔2023〕234号, the plans' classes). The
tables live in ``data/*.csv`` with their sources cited in each file's header and in
``data/README.md``; every row was cross-checked against two public texts, and rows that
could not be verified are left out (a parcel coded with one is reported as a code not in the
table, never dropped). English names are the project's own translations (``en_source``).
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources
from typing import Final

from .._errors import RecipeError

__all__ = ["CLASSIFICATIONS", "Classification", "LandClass", "load_classification"]

#: Classification keys a recipe may name, with the data file and the standard's title.
CLASSIFICATIONS: Final[dict[str, tuple[str, str]]] = {
    "gbt21010-2017": ("gbt21010-2017.csv", "GB/T 21010-2017 土地利用现状分类"),
    "tdt1055-2019": ("tdt1055-2019.csv", "TD/T 1055-2019 第三次全国国土调查工作分类"),
    "mnr-2023": ("mnr-2023.csv", "国土空间调查、规划、用途管制用地用海分类指南 (2023)"),
}


@dataclass(frozen=True)
class LandClass:
    """One class of a classification table.

    Attributes
    ----------
    code : str
        The class code as the standard writes it (``"01"``, ``"0101"``, ``"05H1"``).
    level : int
        1, 2 or 3: the class's level in the hierarchy (GB/T 21010-2017 has two levels, the
        2023 guide three).
    parent : str or None
        The code of the class one level up (None for a first-level class).
    name_zh, name_en : str
        The standard's Chinese name and an English name.
    en_source : str
        Where the English name comes from (``"project"``: the project's own translation).
    """

    code: str
    level: int
    parent: str | None
    name_zh: str
    name_en: str
    en_source: str


@dataclass(frozen=True)
class Classification:
    """A classification table: its key, title and classes in the standard's order.

    Examples
    --------
    >>> table = load_classification("gbt21010-2017")
    >>> table.get("0101").name_zh, table.first_level("0101")
    ('水田', '01')
    >>> mnr = load_classification("mnr-2023")
    >>> mnr.get("070101").name_zh, mnr.first_level("070101"), mnr.second_level("070101")
    ('一类城镇住宅用地', '07', '0701')
    """

    key: str
    title: str
    classes: tuple[LandClass, ...]

    @functools.cached_property
    def _by_code(self) -> dict[str, LandClass]:
        return {c.code: c for c in self.classes}

    def get(self, code: str) -> LandClass | None:
        """Return the class with this code, or None if the table has no such code."""
        return self._by_code.get(code)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    def first_level(self, code: str) -> str | None:
        """Return the first-level code a known code rolls up to (itself for a first-level one)."""
        return self._ancestor(code, 1)

    def second_level(self, code: str) -> str | None:
        """Return the second-level code a known code rolls up to (None for a first-level one)."""
        return self._ancestor(code, 2)

    def _ancestor(self, code: str, level: int) -> str | None:
        cls = self._by_code.get(code)
        while cls is not None and cls.level > level and cls.parent is not None:
            cls = self._by_code.get(cls.parent)
        return cls.code if cls is not None and cls.level == level else None


@functools.cache
def load_classification(key: str) -> Classification:
    """Load a shipped classification table.

    Parameters
    ----------
    key : str
        A key of :data:`CLASSIFICATIONS`: ``"gbt21010-2017"``, ``"tdt1055-2019"`` or
        ``"mnr-2023"``.

    Returns
    -------
    Classification
        The table, its classes (every level) in the standard's order.

    Raises
    ------
    RecipeError
        If ``key`` names no shipped table.

    Examples
    --------
    >>> mnr = load_classification("mnr-2023")
    >>> mnr.get("0701").name_zh, mnr.get("07").name_zh
    ('城镇住宅用地', '居住用地')
    >>> survey = load_classification("tdt1055-2019")
    >>> survey.get("05H1").name_zh, survey.first_level("0303")
    ('商业服务业设施用地', '00')
    """
    if key not in CLASSIFICATIONS:
        raise RecipeError(
            f"The classification '{key}' is not one this toolkit ships; accepted: "
            f"{', '.join(CLASSIFICATIONS)}."
        )
    filename, title = CLASSIFICATIONS[key]
    text = resources.files(__package__).joinpath("data", filename).read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    classes = tuple(
        LandClass(
            code=row["code"],
            level=int(row["level"]),
            parent=row["parent"] or None,
            name_zh=row["name_zh"],
            name_en=row["name_en"],
            en_source=row["en_source"],
        )
        for row in csv.DictReader(io.StringIO(body))
    )
    return Classification(key=key, title=title, classes=classes)
