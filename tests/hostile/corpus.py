"""The hostile-input corpus, generated in code: what colleagues actually send.

Each case writes a small layer (and, where it matters, a context layer) plus a recipe into a
folder and says what the toolkit must answer: ``error`` (exit 2, one line containing
``expect``) or ``warning`` (a repaired result whose report lists a warning containing
``expect``). Geometry is built from the ~8 km cells near Changchun of ``common``.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from common import EAST, SOUTH, WEST, cell, component_frame

from autocity_gis import datum

CITY = (
    "[city]\n"
    'name_en = "Hostile City"\n'
    'name_zh = "测试城"\n'
    "target_km2 = 200.0\n"
    "tolerance_pct = 5.0\n"
)

# The context: one official unit whose borders WEST and EAST share on three sides each.
CONTEXT = cell(125.10, 43.80, 125.30, 43.90)


@dataclass(frozen=True)
class Case:
    """One hostile input and the answer it must get."""

    build: Callable[[Path], Path]
    kind: str  # "error" or "warning"
    expect: str


def component(
    cid: str, layer: str, *, filter_id: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A recipe component entry."""
    entry: dict[str, Any] = {"id": cid, "name_en": cid.title(), "layer": layer}
    if filter_id is not None:
        entry["filter"] = {"id": filter_id}
    entry.update(extra)
    return entry


def write_recipe(
    folder: Path,
    components: list[dict[str, Any]],
    *,
    context: str | None = None,
    city: str = CITY,
    raw: str = "",
) -> Path:
    """Write ``recipe.toml`` in ``folder``; values are JSON-quoted, which TOML accepts."""
    blocks = [city]
    if context is not None:
        blocks.append(f"[context]\nlayer = {json.dumps(context)}\n")
    for comp in components:
        lines = ["[[components]]"]
        for key, value in comp.items():
            if isinstance(value, dict):
                inner = ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items())
                lines.append(f"{key} = {{ {inner} }}")
            else:
                lines.append(f"{key} = {json.dumps(value)}")
        blocks.append("\n".join(lines) + "\n")
    path = folder / "recipe.toml"
    path.write_text("\n".join(blocks) + raw, encoding="utf-8")
    return path


def write_layer(frame: gpd.GeoDataFrame, path: Path, **kwargs: Any) -> Path:
    """Write a frame with pyogrio; Shapefiles lose the one column longer than 10 characters."""
    if path.suffix == ".shp":
        frame = frame.drop(columns=["parent_adcode"], errors="ignore")
    pyogrio.write_dataframe(frame, path, **kwargs)
    return path


def two_cells(folder: Path, name: str = "parts.gpkg", **geoms: Any) -> Path:
    """A layer with WEST (id ``w``) and EAST (id ``e``), either replaced by ``geoms``."""
    rows = [
        {"id": "w", "name_zh": "西区", "geometry": geoms.get("w", WEST)},
        {"id": "e", "name_zh": "东区", "geometry": geoms.get("e", EAST)},
    ]
    return write_layer(component_frame(rows), folder / name)


def recipe_for(folder: Path, layer: Path, *, context: str | None = None, **extra: Any) -> Path:
    """The usual two-component recipe over ``layer``."""
    return write_recipe(
        folder,
        [
            component("w", layer.name, filter_id="w", **extra),
            component("e", layer.name, filter_id="e"),
        ],
        context=context,
    )


def context_layer(folder: Path) -> str:
    """Write the official context unit and return its file name."""
    frame = gpd.GeoDataFrame(
        {"adcode": ["220106"], "name_zh": ["绿园区"], "name_en": ["Lüyuan"]},
        geometry=[CONTEXT],
        crs=4326,
    )
    write_layer(frame, folder / "admin.geojson")
    return "admin.geojson"


def _swap(geom: Any) -> Any:
    return shapely.transform(geom, lambda c: c[:, ::-1])


# -- layer cases ---------------------------------------------------------------------------


def missing_crs(folder: Path) -> Path:
    path = two_cells(folder, "parts.shp")
    path.with_suffix(".prj").unlink()
    return recipe_for(folder, path)


def projected_as_degrees(folder: Path) -> Path:
    gk = component_frame([{"id": "w", "geometry": WEST}, {"id": "e", "geometry": EAST}])
    gk = gk.to_crs("EPSG:4551").set_crs(4326, allow_override=True)
    return recipe_for(folder, write_layer(gk, folder / "parts.gpkg"))


def swapped_lat_lon(folder: Path) -> Path:
    return recipe_for(folder, two_cells(folder, w=_swap(WEST), e=_swap(EAST)))


def swapped_northing_easting(folder: Path) -> Path:
    gk = component_frame([{"id": "w", "geometry": WEST}, {"id": "e", "geometry": EAST}])
    gk = gk.to_crs("EPSG:4551")
    gk = gk.set_geometry(shapely.transform(gk.geometry.to_numpy(), lambda c: c[:, ::-1]))
    return recipe_for(folder, write_layer(gk, folder / "parts.gpkg"))


def outside_china(folder: Path) -> Path:
    # Same shape, moved to Paris: the two components are nowhere near the rest of the recipe.
    paris = shapely.affinity.translate(WEST, -123.0, 5.0)
    return recipe_for(folder, two_cells(folder, w=paris))


def gcj_declared_wgs(folder: Path) -> Path:
    # Digitised on an Amap basemap (GCJ-02) but declared as WGS 84: shifted ~590 m off the
    # official borders it shares.
    shifted = {k: datum.convert_geometry(g, "WGS84", "GCJ02") for k, g in (("w", WEST),)}
    return recipe_for(folder, two_cells(folder, **shifted), context=context_layer(folder))


def wgs_declared_gcj(folder: Path) -> Path:
    return recipe_for(folder, two_cells(folder), context=context_layer(folder), datum="GCJ02")


def bow_tie(folder: Path) -> Path:
    bow = shapely.Polygon([(125.1, 43.8), (125.2, 43.9), (125.2, 43.8), (125.1, 43.9)])
    return recipe_for(folder, two_cells(folder, w=bow))


def self_intersecting_ring(folder: Path) -> Path:
    # A ring that doubles back over itself along the shared edge (a digitising slip).
    coords = list(WEST.exterior.coords)
    spur = [*coords[:20], (125.15, 43.85), coords[19], *coords[20:]]
    return recipe_for(folder, two_cells(folder, w=shapely.Polygon(spur)))


def zero_area(folder: Path) -> Path:
    flat = shapely.Polygon([(125.1, 43.8), (125.2, 43.8), (125.3, 43.8), (125.1, 43.8)])
    return recipe_for(folder, two_cells(folder, w=flat))


def empty_geometry(folder: Path) -> Path:
    return recipe_for(folder, two_cells(folder, w=shapely.Polygon()))


def three_d(folder: Path) -> Path:
    return recipe_for(folder, two_cells(folder, w=shapely.force_3d(WEST, 215.0)))


def point_for_polygon(folder: Path) -> Path:
    return recipe_for(folder, two_cells(folder, w=shapely.Point(125.15, 43.85)))


def line_for_polygon(folder: Path) -> Path:
    return recipe_for(folder, two_cells(folder, w=WEST.exterior))


def nan_coordinates(folder: Path) -> Path:
    coords = np.array(WEST.exterior.coords)
    coords[5, 0] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # shapely objects to NaN; we insist
        bad = shapely.Polygon(coords)
        return recipe_for(folder, two_cells(folder, "parts.gpkg", w=bad))


def duplicate_ids(folder: Path) -> Path:
    layer = two_cells(folder)
    return write_recipe(
        folder,
        [component("w", layer.name, filter_id="w"), component("w", layer.name, filter_id="e")],
    )


def duplicate_features(folder: Path) -> Path:
    rows = [
        {"id": "w", "geometry": WEST},
        {"id": "w", "geometry": WEST},
        {"id": "e", "geometry": EAST},
    ]
    return recipe_for(folder, write_layer(component_frame(rows), folder / "parts.gpkg"))


def unreadable(folder: Path) -> Path:
    (folder / "parts.gpkg").write_bytes(b"\x00\x01PK\x03\x04 not a GeoPackage at all" * 20)
    return recipe_for(folder, folder / "parts.gpkg")


def empty_file(folder: Path) -> Path:
    (folder / "parts.geojson").write_bytes(b"")
    return recipe_for(folder, folder / "parts.geojson")


def truncated_geojson(folder: Path) -> Path:
    path = two_cells(folder, "parts.geojson")
    path.write_bytes(path.read_bytes()[:700])
    return recipe_for(folder, path)


def truncated_gpkg(folder: Path) -> Path:
    path = two_cells(folder)
    path.write_bytes(path.read_bytes()[:4096])
    return recipe_for(folder, path)


def truncated_shapefile(folder: Path) -> Path:
    path = two_cells(folder, "parts.shp")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return recipe_for(folder, path)


def gbk_shapefile(folder: Path) -> Path:
    # What ArcGIS of a Chinese locale writes: GBK attributes and no .cpg to say so.
    path = two_cells(folder, "parts.shp")
    frame = pyogrio.read_dataframe(path)
    for sidecar in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        path.with_suffix(sidecar).unlink(missing_ok=True)
    write_layer(frame, path, encoding="GBK")
    path.with_suffix(".cpg").unlink()
    return recipe_for(folder, path)


def gbk_geojson(folder: Path) -> Path:
    text = component_frame(
        [{"id": "w", "name_zh": "西区", "geometry": WEST}, {"id": "e", "geometry": EAST}]
    ).to_json(ensure_ascii=False)
    (folder / "parts.geojson").write_bytes(text.encode("gbk"))
    return recipe_for(folder, folder / "parts.geojson")


# -- recipe cases --------------------------------------------------------------------------


def _with_city(folder: Path, city: str) -> Path:
    layer = two_cells(folder)
    return write_recipe(folder, [component("w", layer.name, filter_id="w")], city=city)


def unknown_key(folder: Path) -> Path:
    return _with_city(folder, CITY + "tolerence_pct = 2\n")


def missing_key(folder: Path) -> Path:
    return _with_city(folder, CITY.replace("target_km2 = 200.0\n", ""))


def wrong_type(folder: Path) -> Path:
    return _with_city(folder, CITY.replace("200.0", '"200 km²"'))


def negative_area(folder: Path) -> Path:
    layer = two_cells(folder)
    return write_recipe(
        folder, [component("w", layer.name, filter_id="w", stated_area_km2=-118.59)]
    )


def absurd_area(folder: Path) -> Path:
    return _with_city(folder, CITY.replace("200.0", "4.71e11"))


def absurd_tolerance(folder: Path) -> Path:
    return _with_city(folder, CITY.replace("tolerance_pct = 5.0", "tolerance_pct = 500.0"))


def nan_tolerance(folder: Path) -> Path:
    return _with_city(folder, CITY.replace("tolerance_pct = 5.0", "tolerance_pct = nan"))


def negative_snap(folder: Path) -> Path:
    return _with_city(folder, CITY + "snap_tolerance_m = -1.0\n")


def missing_layer(folder: Path) -> Path:
    return write_recipe(folder, [component("w", "bureau/zones.gpkg")])


def escaping_layer(folder: Path) -> Path:
    inner = folder / "recipe"
    inner.mkdir()
    two_cells(folder)
    return write_recipe(inner, [component("w", "../parts.gpkg", filter_id="w")])


def escaping_symlink(folder: Path) -> Path:
    outside = folder / "elsewhere"
    outside.mkdir()
    two_cells(outside)
    inner = folder / "recipe"
    inner.mkdir()
    os.symlink(outside / "parts.gpkg", inner / "parts.gpkg")
    return write_recipe(inner, [component("w", "parts.gpkg", filter_id="w")])


def unknown_encoding(folder: Path) -> Path:
    layer = two_cells(folder)
    return write_recipe(folder, [component("w", layer.name, filter_id="w", encoding="GBX")])


# -- issue #9: indirection, special files, bounds, CRSs -----------------------------------


def vrt_layer(folder: Path) -> Path:
    two_cells(folder)
    (folder / "zones.vrt").write_text(
        "<OGRVRTDataSource><OGRVRTLayer name='x'><SrcDataSource>parts.gpkg</SrcDataSource>"
        f"<SrcSQL dialect='SQLITE'>VACUUM INTO '{folder / 'stolen.gpkg'}'</SrcSQL>"
        "</OGRVRTLayer></OGRVRTDataSource>"
    )
    return write_recipe(folder, [component("w", "zones.vrt")])


def gdalg_layer(folder: Path) -> Path:
    two_cells(folder)
    (folder / "zones.gdalg.json").write_text(
        json.dumps({"type": "gdal_streamed_alg", "command_line": "gdal vector read parts.gpkg"})
    )
    return write_recipe(folder, [component("w", "zones.gdalg.json")])


def fifo_layer(folder: Path) -> Path:
    os.mkfifo(folder / "parts.geojson")
    return write_recipe(folder, [component("w", "parts.geojson")])


def folder_layer(folder: Path) -> Path:
    (folder / "parts.gpkg").mkdir()
    return write_recipe(folder, [component("w", "parts.gpkg")])


def symlink_loop(folder: Path) -> Path:
    os.symlink(folder / "b.gpkg", folder / "parts.gpkg")
    os.symlink(folder / "parts.gpkg", folder / "b.gpkg")
    return write_recipe(folder, [component("w", "parts.gpkg")])


def nul_in_path(folder: Path) -> Path:
    two_cells(folder)
    return write_recipe(folder, [component("w", "parts.gpkg\u0000.txt")])


def long_name(folder: Path) -> Path:
    return write_recipe(folder, [component("w", "x" * 5000 + ".gpkg")])


def url_layer(folder: Path) -> Path:
    return write_recipe(folder, [component("w", "/vsicurl/http://127.0.0.1:9/zones.geojson")])


def fifo_recipe(folder: Path) -> Path:
    two_cells(folder)
    path = folder / "recipe.toml"
    os.mkfifo(path)
    return path


def deep_toml(folder: Path) -> Path:
    return _with_city(folder, CITY + "deep = " + "[" * 100_000 + "]" * 100_000 + "\n")


def huge_integer(folder: Path) -> Path:
    return _with_city(folder, CITY.replace("200.0", "1" + "0" * 400))


def rot13_encoding(folder: Path) -> Path:
    layer = two_cells(folder)
    return write_recipe(folder, [component("w", layer.name, filter_id="w", encoding="rot13")])


def mars_crs(folder: Path) -> Path:
    path = two_cells(folder, "parts.shp")
    path.with_suffix(".prj").unlink()
    return recipe_for(folder, path, crs="IAU_2015:49900")


def vertical_crs(folder: Path) -> Path:
    path = two_cells(folder, "parts.shp")
    path.with_suffix(".prj").unlink()
    return recipe_for(folder, path, crs="EPSG:5773")


def empty_layer(folder: Path) -> Path:
    frame = component_frame([{"id": "w", "geometry": WEST}]).iloc[:0]
    return recipe_for(folder, write_layer(frame, folder / "parts.gpkg"))


def subtract_everything(folder: Path) -> Path:
    layer = two_cells(folder)
    return write_recipe(
        folder,
        [
            component("w", layer.name, filter_id="w"),
            component("cut", layer.name, filter_id="w", role="subtract"),
        ],
    )


CASES: dict[str, Case] = {
    "missing_crs": Case(missing_crs, "error", "declares no coordinate reference system; add"),
    "projected_as_degrees": Case(projected_as_degrees, "error", "probably projected metres"),
    "swapped_lat_lon": Case(swapped_lat_lon, "error", "the axis order is swapped"),
    "swapped_northing_easting": Case(
        swapped_northing_easting, "error", "the axis order is swapped"
    ),
    "outside_china": Case(outside_china, "error", "lies entirely outside China"),
    "gcj_declared_wgs": Case(gcj_declared_wgs, "warning", "probably GCJ-02 declared as WGS 84"),
    "wgs_declared_gcj": Case(wgs_declared_gcj, "warning", "probably WGS 84 declared as GCJ-02"),
    "bow_tie": Case(bow_tie, "warning", "repaired invalid geometry (Self-intersection"),
    "self_intersecting_ring": Case(self_intersecting_ring, "warning", "repaired invalid geometry"),
    "zero_area": Case(zero_area, "error", "the polygon has no area"),
    "empty_geometry": Case(empty_geometry, "error", "the geometry is empty"),
    "three_d": Case(three_d, "warning", "dropped the z coordinates"),
    "point_for_polygon": Case(point_for_polygon, "error", "is a Point, but a polygon is needed"),
    "line_for_polygon": Case(line_for_polygon, "error", "is a LineString, but a polygon"),
    "nan_coordinates": Case(nan_coordinates, "error", "coordinates that are not numbers"),
    "duplicate_ids": Case(duplicate_ids, "error", "component 'w': duplicate id"),
    "duplicate_features": Case(duplicate_features, "warning", "same geometry as feature 0"),
    "unreadable": Case(unreadable, "error", "cannot be read as a vector layer"),
    "empty_file": Case(empty_file, "error", "cannot be read as a vector layer"),
    "truncated_geojson": Case(truncated_geojson, "error", "cannot be read as a vector layer"),
    "truncated_gpkg": Case(truncated_gpkg, "error", "cannot be read as a vector layer"),
    "truncated_shapefile": Case(truncated_shapefile, "error", "damaged or truncated file"),
    "gbk_shapefile": Case(gbk_shapefile, "error", 'add encoding = "GBK"'),
    "gbk_geojson": Case(
        gbk_geojson, "error", "feature 0: attribute 'name_zh' is not UTF-8 text (byte"
    ),
    "unknown_key": Case(unknown_key, "error", "unknown key 'tolerence_pct' (did you mean"),
    "missing_key": Case(missing_key, "error", "missing key 'target_km2'"),
    "wrong_type": Case(wrong_type, "error", "'target_km2' must be a number, not str"),
    "negative_area": Case(negative_area, "error", "'stated_area_km2' = -118.59 is out of range"),
    "absurd_area": Case(absurd_area, "error", "'target_km2' = 471000000000.0 is out of range"),
    "absurd_tolerance": Case(absurd_tolerance, "error", "'tolerance_pct' = 500.0 is out of"),
    "nan_tolerance": Case(nan_tolerance, "error", "'tolerance_pct' = nan is out of range"),
    "negative_snap": Case(negative_snap, "error", "'snap_tolerance_m' = -1.0 is out of range"),
    "missing_layer": Case(missing_layer, "error", "layer file 'bureau/zones.gpkg' does not exist"),
    "escaping_layer": Case(escaping_layer, "error", "leaves the recipe's folder"),
    "escaping_symlink": Case(escaping_symlink, "error", "leaves the recipe's folder"),
    "unknown_encoding": Case(unknown_encoding, "error", "encoding 'GBX' is unknown"),
    "vrt_layer": Case(vrt_layer, "error", "is a GDAL VRT, which can point at other files"),
    "gdalg_layer": Case(gdalg_layer, "error", "is a GDAL pipeline (.gdalg.json)"),
    "fifo_layer": Case(fifo_layer, "error", "is a named pipe (FIFO), not a regular file"),
    "folder_layer": Case(folder_layer, "error", "is a folder, not a regular file"),
    "symlink_loop": Case(symlink_loop, "error", "is a symbolic link loop"),
    "nul_in_path": Case(nul_in_path, "error", "contains a NUL byte"),
    "long_name": Case(long_name, "error", "is longer than file systems allow"),
    "url_layer": Case(url_layer, "error", "is a URL or GDAL connection string"),
    "fifo_recipe": Case(fifo_recipe, "error", "is a named pipe (FIFO), not a regular file"),
    "deep_toml": Case(deep_toml, "error", "nested too deeply"),
    "huge_integer": Case(huge_integer, "error", "'target_km2' = 100000… (401 digits) is out"),
    "rot13_encoding": Case(rot13_encoding, "error", "encoding 'rot13' is not a text encoding"),
    "mars_crs": Case(mars_crs, "error", "is not based on the Earth"),
    "vertical_crs": Case(vertical_crs, "error", "is a vertical CRS (heights)"),
    "empty_layer": Case(empty_layer, "error", "the layer is empty (it has no features)"),
    "subtract_everything": Case(
        subtract_everything, "error", "'cut' covers every part, so the boundary would be empty"
    ),
}

__all__ = ["CASES", "CONTEXT", "SOUTH", "Case", "component", "two_cells", "write_recipe"]
