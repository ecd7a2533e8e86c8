"""The country job: county units -> provinces -> area check, GeoJSON in, GeoJSON + report out.

Run: .venv/bin/python benchmarks/country_job.py {autocity,geopandas} UNITS.geojson OUT_DIR

``autocity`` uses autocity_gis.batch (fast GeoJSON split + GEOS parsing, coverage union per
province on a thread pool, vectorised geodesic area). ``geopandas`` is the plain script a
planner would write: read_file, dissolve, to_crs(Albers).area, to_file. Both compare each
province with benchmarks/province_areas.csv and write provinces.geojson, report.json and
report.md into OUT_DIR.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOLERANCE_PCT = 1.0


def stated_areas() -> tuple[dict[str, float], str]:
    lines = (HERE / "province_areas.csv").read_text(encoding="utf-8").splitlines()
    source = "Wikipedia, List of Chinese administrative divisions by area"
    rows = csv.DictReader(line for line in lines if not line.startswith("#"))
    return {r["province"]: float(r["area_km2"]) for r in rows}, source


def write_report(out: Path, rows: list[dict[str, object]]) -> None:
    (out / "report.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), "utf-8")
    lines = ["| province | name | units | measured km² | stated km² | Δ % | pass |",
             "|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        stated = r["stated_km2"]
        delta = r["delta_pct"]
        lines.append(
            f"| {r['province']} | {r['name']} | {r['units']} | {r['measured_km2']:,.0f} | "
            f"{'—' if stated is None else f'{stated:,.1f}'} | "
            f"{'—' if delta is None else f'{delta:+.2f}'} | {r['passed']} |"
        )
    (out / "report.md").write_text("\n".join(lines) + "\n", "utf-8")


def run_autocity(units: Path, out: Path) -> None:
    from autocity_gis.batch import check_groups, compose_groups, read_features, write_features

    stated, source = stated_areas()
    frame = read_features(units)
    groups = compose_groups(frame, "province", keep=["province_name"])
    checks = check_groups(groups, stated, tolerance_pct=TOLERANCE_PCT, name="province_name",
                          source=source)
    write_features(groups, out / "provinces.geojson")
    write_report(out, [
        {"province": c.area.id, "name": c.area.name_zh, "units": c.units,
         "measured_km2": c.area.measured_km2, "stated_km2": c.area.stated_km2,
         "delta_pct": c.area.delta_pct, "passed": c.passed, "method": c.area.method}
        for c in checks
    ])


def run_geopandas(units: Path, out: Path) -> None:
    import geopandas as gpd

    stated, _source = stated_areas()
    frame = gpd.read_file(units)
    provinces = frame.dissolve("province", aggfunc={"province_name": "first", "adcode": "count"})
    albers = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=WGS84 +units=m"
    provinces["area_km2"] = provinces.to_crs(albers).area / 1e6
    provinces.reset_index().to_file(out / "provinces.geojson", driver="GeoJSON")
    rows = []
    for key, row in provinces.iterrows():
        figure = stated.get(str(key))
        delta = None if figure is None else (row.area_km2 - figure) / figure * 100
        rows.append({"province": key, "name": row.province_name, "units": int(row.adcode),
                     "measured_km2": float(row.area_km2), "stated_km2": figure,
                     "delta_pct": delta,
                     "passed": None if delta is None else abs(delta) <= TOLERANCE_PCT})
    write_report(out, rows)


if __name__ == "__main__":
    engine, units_path, out_dir = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    out_dir.mkdir(parents=True, exist_ok=True)
    {"autocity": run_autocity, "geopandas": run_geopandas}[engine](units_path, out_dir)
