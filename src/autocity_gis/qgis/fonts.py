"""The font every text of the QGIS project and layout is set in.

QGIS falls back to whatever the machine has when a project names no family (and logs
``QFont::fromString: Invalid description``), so Chinese printed next to English in another
face, and a bold weight on a CJK family without a bold face is smeared by Qt ("fake bold") into
blobs at print resolutions. So every text names a family from :data:`CJK_FAMILIES`, the first
the machine's fontconfig has (the hand-off's reader may have another: QGIS substitutes then),
and asks for bold only where that family has a real bold face.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass

#: CJK-capable families in order of preference; each covers Latin as well.
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
)
#: Families known to ship a real bold face, for machines without fontconfig to ask.
_BOLD_FACES = frozenset({"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei"})
#: Qt's weights (QFont::Weight).
REGULAR, BOLD = 50, 75


@dataclass(frozen=True)
class Font:
    """A family and whether it has a real bold face."""

    family: str
    has_bold: bool

    def weight(self, *, bold: bool = False) -> int:
        """Return the Qt weight: bold only when the family has a bold face."""
        return BOLD if bold and self.has_bold else REGULAR

    def description(self, size_pt: float, *, bold: bool = False) -> str:
        """Return the font as ``QFont::toString`` writes it (Qt 5: ten fields)."""
        return f"{self.family},{size_pt:g},-1,5,{self.weight(bold=bold)},0,0,0,0,0"


def _fc_list(pattern: str) -> list[str]:
    """Return fontconfig's ``family:style`` lines for ``pattern``; empty without fc-list."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        run = subprocess.run(
            [fc_list, pattern, "family", "style"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return run.stdout.splitlines() if run.returncode == 0 else []


def _families(line: str) -> tuple[list[str], str]:
    family, _, style = line.partition(":style=")
    return [f.strip() for f in family.split(",")], style


@functools.cache
def layout_font() -> Font:
    """Return the first of :data:`CJK_FAMILIES` the machine has, with its bold face or not.

    Without fontconfig (or none of them installed) the first family of the list is named and
    QGIS substitutes on the reader's machine.
    """
    lines = _fc_list(":lang=zh")
    faces: dict[str, set[str]] = {}
    for line in lines:
        names, style = _families(line)
        for name in names:
            faces.setdefault(name, set()).update(s.strip() for s in style.split(","))
    for family in CJK_FAMILIES:
        if family in faces:
            return Font(family, has_bold=bool(faces[family] & {"Bold", "SemiBold", "Semibold"}))
    family = CJK_FAMILIES[0]
    return Font(family, has_bold=family in _BOLD_FACES)
