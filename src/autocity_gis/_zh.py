"""Numbers and areas the way Chinese planning documents write them.

The convention followed (GB/T 15835-2011 《出版物上数字的用法》 on grouping long numbers, and
the usage of 城市总体规划 and 国土空间规划 texts):

* Arabic numerals; the integer part grouped in threes by a comma ("千分撇", four-digit ones
  too, which the standard allows) and the decimal part not grouped: ``44,859.00``.
* The unit written in Chinese characters right after the number, with no space:
  ``448.59平方公里``, ``44,859.00公顷``, ``672,885亩``. Areas in 平方公里 and 公顷 keep two
  decimals, 亩 is written whole.
* A negative difference with the minus sign ``−``, a percentage with ``%`` right after the
  number: ``−4.76%``.
* Full-width punctuation between Chinese words (，；：（）) — the numbers themselves keep the
  ASCII comma and point.

Examples
--------
>>> zh_km2(448.59), zh_ha(448.59), zh_mu(448.59)
('448.59平方公里', '44,859.00公顷', '672,885亩')
>>> zh_pct(-4.7612)
'−4.76%'
"""

from __future__ import annotations

from collections.abc import Sequence

from .recipe import UNITS

#: Chinese name of each unit of :data:`autocity_gis.recipe.UNITS`.
UNIT_NAMES = {"km2": "平方公里", "ha": "公顷", "mu": "亩"}
#: Decimals of an area in each unit: 平方公里 and 公顷 two, 亩 whole.
UNIT_DECIMALS = {"km2": 2, "ha": 2, "mu": 0}


def zh_number(value: float, decimals: int = 2) -> str:
    """Return ``value`` with comma thousand separators and ``decimals`` decimals.

    >>> zh_number(1234567.891), zh_number(-0.004)
    ('1,234,567.89', '0.00')
    """
    text = f"{value:,.{decimals}f}"
    if text.lstrip("-").strip("0,.") == "":  # no "-0.00"
        text = text.lstrip("-")
    return text.replace("-", "−")


def zh_area(km2: float, unit: str = "km2") -> str:
    """Return an area given in km² in ``unit`` (``km2``, ``ha`` or ``mu``), unit in Chinese."""
    return f"{zh_number(km2 * UNITS[unit], UNIT_DECIMALS[unit])}{UNIT_NAMES[unit]}"


def zh_km2(km2: float) -> str:
    """Return ``448.59平方公里``."""
    return zh_area(km2, "km2")


def zh_ha(km2: float) -> str:
    """Return ``44,859.00公顷``."""
    return zh_area(km2, "ha")


def zh_mu(km2: float) -> str:
    """Return ``672,885亩``."""
    return zh_area(km2, "mu")


def zh_areas(km2: float, units: Sequence[str] = ()) -> str:
    """Return an area in 平方公里 with 公顷 (always) and 亩 (when ``units`` asks) in brackets.

    >>> zh_areas(1.5, ("km2", "mu"))
    '1.50平方公里（150.00公顷，2,250亩）'
    """
    extra = [zh_ha(km2)] + ([zh_mu(km2)] if "mu" in units else [])
    return f"{zh_km2(km2)}（{'，'.join(extra)}）"


def zh_pct(value: float, decimals: int = 2) -> str:
    """Return a signed percentage, ``+0.12%`` or ``−4.76%``."""
    text = zh_number(value, decimals)
    return f"{'' if text.startswith('−') else '+'}{text}%"
