r"""CAD drawings (DXF) as layers: what a design institute delivers, read as areas.

Drawings from design institutes hold zones as closed polylines (``LWPOLYLINE``/``POLYLINE``)
and hatches on named CAD layers, in Gauss–Krüger metres with no CRS, and -- from Chinese
AutoCAD installations -- text in the drawing's code page (``$DWGCODEPAGE = ANSI_936``, i.e.
GBK) or in AutoCAD's ``\U+XXXX`` escapes. GDAL's DXF driver reads closed polylines as lines and
decodes text only as far as its own code-page table reaches. This module owns the knowledge
that fills those gaps for one read at a time: the drawing's header (version and code page), the
GDAL options for the read (:func:`read_options`), the decoding of AutoCAD's escapes
(:func:`decode_escapes`) and the choice of what in a drawing is an area (:func:`areas_only`).
AutoCAD DWG files are not read (GDAL here has no DWG driver): :data:`DWG_ADVICE` says how to
convert them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely

#: What to do with a DWG drawing, the binary format GDAL here cannot read.
DWG_ADVICE = (
    "is an AutoCAD DWG drawing, which GDAL cannot read here; save it as DXF (AutoCAD: SAVEAS, "
    "type DXF; or the free ODA File Converter) and name the .dxf in the recipe"
)

#: AutoCAD code pages (``$DWGCODEPAGE``) and the Python codec of each. Chinese drawings use
#: ANSI_936 (GBK, decoded as its superset GB18030) or ANSI_950 (Big5).
CODE_PAGES: dict[str, str] = {
    "ANSI_874": "cp874",
    "ANSI_932": "cp932",
    "ANSI_936": "gb18030",
    "ANSI_949": "cp949",
    "ANSI_950": "cp950",
    "ANSI_1250": "cp1250",
    "ANSI_1251": "cp1251",
    "ANSI_1252": "cp1252",
    "ANSI_1253": "cp1253",
    "ANSI_1254": "cp1254",
    "ANSI_1255": "cp1255",
    "ANSI_1256": "cp1256",
    "ANSI_1257": "cp1257",
    "ANSI_1258": "cp1258",
    "DOS437": "cp437",
    "DOS850": "cp850",
    "DOS936": "gb18030",
    "DOS950": "cp950",
    "ISO8859-1": "latin-1",
}
# GDAL's names for the same codecs (it hands them to iconv).
_GDAL_CODECS = {"gb18030": "CP936", "latin-1": "ISO-8859-1"}
# AutoCAD 2007 (AC1021) and later write every DXF in UTF-8, whatever the code page says.
_FIRST_UTF8_VERSION = "AC1021"
# \U+XXXX is a Unicode character; \M+nXXXX a double-byte character of code page n.
_ESCAPE = re.compile(r"\\U\+([0-9A-Fa-f]{4})|\\M\+([1-5])([0-9A-Fa-f]{4})")
_MBCS = {"1": "cp932", "2": "cp950", "3": "cp949", "4": "johab", "5": "gb18030"}
_HEADER_BYTES = 1 << 16


@dataclass(frozen=True)
class DxfHeader:
    """The two header variables that decide how a drawing's text is encoded.

    Attributes
    ----------
    version : str or None
        ``$ACADVER`` (e.g. ``AC1015`` for AutoCAD 2000, ``AC1032`` for 2018).
    code_page : str or None
        ``$DWGCODEPAGE`` (e.g. ``ANSI_936``).
    """

    version: str | None
    code_page: str | None

    @property
    def encoding(self) -> str | None:
        """Python codec of the drawing's text, or None if the header does not say.

        Examples
        --------
        >>> DxfHeader("AC1015", "ANSI_936").encoding
        'gb18030'
        >>> DxfHeader("AC1032", "ANSI_936").encoding
        'utf-8'
        """
        if self.version is not None and self.version >= _FIRST_UTF8_VERSION:
            return "utf-8"
        return CODE_PAGES.get((self.code_page or "").upper())


def read_header(path: Path) -> DxfHeader:
    """Read ``$ACADVER`` and ``$DWGCODEPAGE`` from the start of an ASCII DXF file.

    Only the first 64 KiB are read (the header section comes first); a binary DXF or a file
    without those variables gives ``None`` for them.
    """
    with open(path, "rb") as handle:
        head = handle.read(_HEADER_BYTES).decode("latin-1")
    lines = [line.strip() for line in head.splitlines()]
    values: dict[str, str] = {}
    for i, line in enumerate(lines[:-3]):
        if line in ("$ACADVER", "$DWGCODEPAGE"):
            values[line] = lines[i + 2]
        if line == "ENDSEC":
            break
    return DxfHeader(values.get("$ACADVER"), values.get("$DWGCODEPAGE"))


def read_options(path: Path | None, encoding: str | None = None) -> dict[str, str]:
    """GDAL configuration for reading one drawing: closed polylines as polygons, text decoded.

    Parameters
    ----------
    path : Path or None
        The ``.dxf`` file; its header decides the encoding. None (a drawing inside a zip)
        leaves the encoding to ``encoding`` or GDAL.
    encoding : str, optional
        The recipe's ``encoding``, which overrides the header.

    Returns
    -------
    dict
        Options for :func:`autocity_gis._gdal.sandbox`, in force for that read only.
    """
    options = {"DXF_CLOSED_LINE_AS_POLYGON": "TRUE"}
    codec = encoding or (read_header(path).encoding if path is not None else None)
    if codec:
        import codecs

        name = codecs.lookup(codec).name
        options["DXF_ENCODING"] = _GDAL_CODECS.get(name, name.upper())
    return options


def decode_escapes(text: str) -> str:
    r"""Replace AutoCAD's ``\U+XXXX`` and ``\M+nXXXX`` escapes by the characters they stand for.

    Examples
    --------
    >>> decode_escapes(r"\U+6C7D\U+5F00\U+533A zone")
    '汽开区 zone'
    >>> decode_escapes(r"\M+5C6FB")
    '汽'
    """

    def char(match: re.Match[str]) -> str:
        if match.group(1):
            return chr(int(match.group(1), 16))
        raw = bytes.fromhex(match.group(3))
        try:
            return raw.decode(_MBCS[match.group(2)])
        except UnicodeDecodeError:
            return match.group(0)

    return _ESCAPE.sub(char, text)


def areas_only(frame: Any, path: Path) -> tuple[Any, list[str]]:
    """Keep the areas of a drawing: polygons, and polylines closed by their coordinates.

    Text, points, block references and open polylines are left out; one note says how many of
    each were left out and on which CAD layers, so an unclosed zone outline does not pass
    unnoticed. Text columns are decoded (:func:`decode_escapes`).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        What GDAL's DXF driver read (one row per entity, ``Layer`` column).
    path : Path
        The drawing, for the note.

    Returns
    -------
    tuple
        ``(frame, notes)``: the polygonal entities, and at most one note.
    """
    for column in frame.columns:
        if column != frame.geometry.name:
            values = frame[column].tolist()
            if any(isinstance(v, str) and "\\" in v for v in values):
                frame[column] = [decode_escapes(v) if isinstance(v, str) else v for v in values]
    geoms = frame.geometry.to_numpy()
    kinds = shapely.get_type_id(geoms)
    lines = kinds == shapely.GeometryType.LINESTRING
    closed = lines & shapely.is_closed(geoms) & (shapely.get_num_coordinates(geoms) >= 4)
    if closed.any():
        geoms = geoms.copy()
        geoms[closed] = shapely.polygons(geoms[closed])
        frame = frame.set_geometry(
            frame.geometry.__class__(geoms, crs=frame.crs, index=frame.index)
        )
        kinds = shapely.get_type_id(geoms)
    polygonal = (kinds == shapely.GeometryType.POLYGON) | (
        kinds == shapely.GeometryType.MULTIPOLYGON
    )
    dropped = frame.loc[~polygonal]
    if not len(dropped):
        return frame, []
    open_lines = dropped.geometry.geom_type.isin(["LineString", "MultiLineString"])
    parts = []
    if open_lines.any():
        layers = _layers(dropped.loc[open_lines])
        parts.append(f"{int(open_lines.sum())} open polyline(s) (not closed) on {layers}")
    if (~open_lines).any():
        parts.append(f"{int((~open_lines).sum())} text, point or other non-area entities")
    note = (
        f"{path.name}: left out {' and '.join(parts)}; only closed polylines and hatches are "
        "read as areas (close an outline in CAD to include it)."
    )
    return frame.loc[polygonal].copy(), [note]


def _layers(frame: Any) -> str:
    if "Layer" not in frame.columns:
        return "the drawing"
    names = sorted({str(v) for v in frame["Layer"].dropna()})
    shown = ", ".join(f"'{n}'" for n in names[:5]) + (" …" if len(names) > 5 else "")
    return f"CAD layer(s) {shown}" if names else "the drawing"
