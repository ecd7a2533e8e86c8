"""Overlays of the composed boundary: the land-use balance table and control-line conflicts.

Issue 14's engine, in four parts: :mod:`.spec` checks a recipe's ``[[overlays]]`` block;
:mod:`.classification` holds the GB/T 21010-2017 and 2023 MNR class tables (package data, cited);
:mod:`.engine` computes the balance table (per class, per level, per component, with the
unclassified remainder) and the conflicts with control lines, on this machine's cores or on a
Dask cluster; :mod:`.results` holds the frozen results and their report.json shape.
"""

from __future__ import annotations

from .classification import CLASSIFICATIONS, Classification, LandClass, load_classification
from .engine import ENGINES, control_conflicts, landuse_balance
from .results import (
    ClassArea,
    ComponentConflict,
    ControlResult,
    LanduseBalance,
    LanduseTable,
)
from .spec import KINDS, RULES, OverlaySpec, parse_overlay

__all__ = [
    "CLASSIFICATIONS",
    "ENGINES",
    "KINDS",
    "RULES",
    "ClassArea",
    "Classification",
    "ComponentConflict",
    "ControlResult",
    "LandClass",
    "LanduseBalance",
    "LanduseTable",
    "OverlaySpec",
    "control_conflicts",
    "landuse_balance",
    "load_classification",
    "parse_overlay",
]
