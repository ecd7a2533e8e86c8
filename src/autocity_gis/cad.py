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
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from . import style

if TYPE_CHECKING:
    from .handoff import Frames

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


# -- CAD out ---------------------------------------------------------------------------------

#: Text height of labels as a share of the drawing's larger side: legible when the whole
#: drawing is plotted on one sheet.
LABEL_HEIGHT_SHARE = 1 / 150
_LAYER_STYLES = {
    "boundary": style.BOUNDARY_STYLE,
    "admin_units": style.CONTEXT_STYLE,
    "overlaps": style.OVERLAP_STYLE,
    "gaps": style.GAP_STYLE,
}
_OTHER = style.CONTEXT_STYLE


def cad_text(text: object) -> str:
    r"""Return ``text`` as a single-line DXF ``TEXT`` value that CAD shows literally.

    Control characters are shown as escapes (:func:`autocity_gis._text.for_terminal`), a
    backslash is written as AutoCAD's ``\U+005C`` (so ``\U+…`` in a name is not decoded) and a
    percent sign as ``%%%`` (so ``%%d`` in a name is not a degree sign).

    Examples
    --------
    >>> cad_text("50% {{x}} %%d \\U+0041\n")
    '50%%% {{x}} %%%%%%d \\U+005CU+0041\\U+005Cn'
    """
    from ._text import for_terminal

    return for_terminal(text).replace("\\", "\\U+005C").replace("%", "%%%")


def write_dxf(frames: Frames, target: str | Path, *, crs: Any) -> Path:
    """Write hand-off layers as a DXF drawing: closed polylines on named layers, names as text.

    Each layer becomes a CAD layer of that name, in its map colour, with every ring of every
    polygon a closed ``LWPOLYLINE`` (dashed where the geometry is estimated, as on the map);
    features' names (``name_zh``, ``name_en`` or ``id``) are ``TEXT`` on ``<layer>-labels``; a note
    on ``info`` states the CRS and units, since a DXF cannot carry them. AutoCAD 2010 format
    (UTF-8 text).

    Parameters
    ----------
    frames : mapping of str to geopandas.GeoDataFrame
        Hand-off layers by name (:func:`autocity_gis.handoff.layer_frames`), any CRS.
    target : str or Path
        The ``.dxf`` file, written atomically.
    crs : str, int or pyproj.CRS
        The drawing's coordinate system: a projected CRS in metres (a Gauss–Krüger zone).

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    ValueError
        If ``crs`` is not a projected CRS in metres.
    """
    import ezdxf
    from pyproj import CRS

    from ._io import atomic_path

    drawing_crs = CRS.from_user_input(crs)
    unit = drawing_crs.axis_info[0].unit_name if drawing_crs.axis_info else ""
    if not drawing_crs.is_projected or unit not in ("metre", "meter"):
        raise ValueError(f"a DXF needs a projected CRS in metres, not {drawing_crs.name}")
    doc = ezdxf.new("R2010", setup=["linetypes"])  # type: ignore[attr-defined]  # re-exported
    doc.header["$INSUNITS"] = 6  # metres
    msp = doc.modelspace()
    corner: tuple[float, float] | None = None
    height = 1.0
    estimated = False
    layers = {name: frame.to_crs(drawing_crs) for name, frame in frames.items() if len(frame)}
    if layers:
        xmin, ymin, xmax, ymax = np.array([f.total_bounds for f in layers.values()]).T
        corner = (float(xmin.min()), float(ymin.min()))
        height = max(float(xmax.max() - xmin.min()), float(ymax.max() - ymin.min()))
        height = max(height * LABEL_HEIGHT_SHARE, 1.0)
    for name, projected in layers.items():
        _add_layer(doc, name, projected, height)
        estimated |= bool((projected.get("accuracy") == "estimated").any())
    if corner is not None:
        doc.layers.add("info", color=7)
        note = (
            f"CRS: {drawing_crs.to_string()} ({drawing_crs.name}); units: metres; written by "
            "autocity-gis" + ("; dashed outlines are estimated, not surveyed" if estimated else "")
        )
        text = msp.add_text(
            cad_text(note), height=height / 2, dxfattribs={"layer": "info"}
        )
        text.set_placement((corner[0], corner[1] - height * 2))
    with atomic_path(target) as tmp:
        doc.saveas(tmp)
    return Path(target)


def _add_layer(doc: Any, name: str, projected: Any, height: float) -> None:
    from ezdxf.enums import TextEntityAlignment

    msp = doc.modelspace()
    layer_style = _LAYER_STYLES.get(name, _OTHER)
    doc.layers.add(name, true_color=_rgb(layer_style.stroke))
    doc.layers.add(f"{name}-labels", true_color=_rgb(layer_style.stroke))
    for i, (_, row) in enumerate(projected.iterrows()):
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        accuracy = str(row.get("accuracy") or "")
        feature_style = layer_style
        if name == "components":
            feature_style = style.component_style(str(row.get("id", "")), accuracy, i)
        attribs = {
            "layer": name,
            "true_color": _rgb(feature_style.stroke),
            "linetype": "DASHED" if accuracy == "estimated" else "CONTINUOUS",
        }
        for polygon in shapely.get_parts(geom):
            for ring in (polygon.exterior, *polygon.interiors):
                msp.add_lwpolyline(list(ring.coords)[:-1], close=True, dxfattribs=attribs)
        names = (row.get(c) for c in ("name_zh", "name_en", "id"))
        label = next((str(v) for v in names if isinstance(v, str) and v.strip()), "")
        if label:
            point = shapely.point_on_surface(geom)
            msp.add_text(
                cad_text(label), height=height, dxfattribs={"layer": f"{name}-labels"}
            ).set_placement((point.x, point.y), align=TextEntityAlignment.MIDDLE_CENTER)


def _rgb(colour: str) -> int:
    from ezdxf import colors

    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return int(colors.rgb2int((red, green, blue)))
