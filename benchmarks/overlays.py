"""Benchmark the overlay engine (issue 14) against geopandas and real QGIS, interleaved.

Run: .venv/bin/python benchmarks/overlays.py [--sizes 10000,100000,1000000] [--repeat 1]
     [--peer-max 1000000] [--timeout 600] [--keep DIR]

Data: a SYNTHETIC parcel tessellation made in code (autocity_gis.overlays._synthetic: irregular
quadrilaterals tiling 0.6° x 0.4° near Changchun, GB/T 21010-2017 codes drawn at random) and a
SYNTHETIC site of two components; nothing here is real land-survey data.

Contenders, each in its own subprocess, round-robin per size: wall time, and peak memory as the
job's own high-water mark (VmHWM) or, for QGIS, that of its qgis_process children (ru_maxrss):
- engine: autocity_gis.overlays.landuse_balance on the GeoParquet file, local engine (threads):
  the balance table of the boundary AND of each of the two components;
- geopandas: read the GeoParquet, gpd.overlay(parcels, boundary, how="intersection"),
  dissolve(by="DLBM"), pyproj.Geod area per class: the boundary's table only;
- qgis: /usr/bin/qgis_process.bin run native:intersection (parcels.fgb x boundary.gpkg), then
  native:fieldcalculator with an ellipsoidal $area (WGS 84), then a pandas sum by class (the
  "Intersection + field calculator + pivot" a planner does by hand): the boundary's table only.
  Skipped with a note where QGIS is not installed.
Peers run up to --peer-max parcels and are stopped after --timeout seconds (shown as "> T").
The class totals of every contender are compared with the engine's (largest relative difference).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
QGIS = Path("/usr/bin/qgis_process.bin")


# -- jobs (run in subprocesses) --------------------------------------------------------------


def job_engine(data: Path) -> dict[str, float]:
    import geopandas as gpd

    from autocity_gis.overlays import landuse_balance

    site = gpd.read_file(data / "site.gpkg")
    boundary = site.geometry.iloc[0]
    components = dict(zip(site["id"].iloc[1:], site.geometry.iloc[1:], strict=True))
    result = landuse_balance(
        data / "parcels.parquet",
        boundary=boundary,
        components=components,
        class_column="DLBM",
        classification="gbt21010-2017",
    )
    t = result.boundary
    out = {c.code: c.area_km2 for c in (*t.classes, *t.unknown_codes)}
    if t.no_code_km2:
        out[""] = t.no_code_km2
    return out


def job_geopandas(data: Path) -> dict[str, float]:
    import geopandas as gpd
    import pyproj
    import shapely

    geod = pyproj.Geod(ellps="WGS84")
    parcels = gpd.read_parquet(data / "parcels.parquet")
    site = gpd.read_file(data / "site.gpkg").iloc[[0]][["geometry"]]
    cut = gpd.overlay(parcels[["DLBM", "geometry"]], site, how="intersection")
    cut["DLBM"] = cut["DLBM"].fillna("")
    merged = cut.dissolve(by="DLBM")
    return {
        str(code): sum(
            abs(geod.geometry_area_perimeter(shapely.orient_polygons(p))[0])
            for p in shapely.get_parts(geom)
        )
        / 1e6
        for code, geom in merged.geometry.items()
    }


def job_qgis(data: Path) -> dict[str, float]:
    import pyogrio

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    work = Path(tempfile.mkdtemp(dir=data))
    cut, measured = work / "cut.gpkg", work / "measured.gpkg"
    subprocess.run(
        [
            str(QGIS),
            "run",
            "native:intersection",
            "--",
            f"INPUT={data / 'parcels.fgb'}",
            f"OVERLAY={data / 'boundary.gpkg'}",
            "INPUT_FIELDS=DLBM",
            f"OUTPUT={cut}",
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    subprocess.run(
        [
            str(QGIS),
            "run",
            "native:fieldcalculator",
            "--ellipsoid=EPSG:7030",
            "--areaunits=m2",
            "--",
            f"INPUT={cut}",
            "FIELD_NAME=area_m2",
            "FIELD_TYPE=0",
            "FIELD_LENGTH=20",
            "FIELD_PRECISION=12",
            "FORMULA=$area",
            f"OUTPUT={measured}",
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    frame = pyogrio.read_dataframe(measured, read_geometry=False)
    frame["DLBM"] = frame["DLBM"].fillna("")
    sums = frame.groupby("DLBM")["area_m2"].sum() / 1e6
    shutil.rmtree(work)
    return {str(k): float(v) for k, v in sums.items()}


JOBS = {"engine": job_engine, "geopandas": job_geopandas, "qgis": job_qgis}


# -- data --------------------------------------------------------------------------------------


def make_data(folder: Path, n: int) -> int:
    import geopandas as gpd

    from autocity_gis.overlays._synthetic import make_parcels, make_site

    folder.mkdir(parents=True, exist_ok=True)
    parcels = make_parcels(n, seed=7)
    parcels.to_parquet(folder / "parcels.parquet", row_group_size=1 << 16)
    parcels[["DLBM", "geometry"]].to_file(folder / "parcels.fgb", driver="FlatGeobuf")
    boundary, components = make_site()
    site = gpd.GeoDataFrame(
        {"id": ["", *components]},
        geometry=[boundary, *components.values()],
        crs="EPSG:4326",
    )
    site.to_file(folder / "site.gpkg", driver="GPKG")
    site.iloc[[0]].to_file(folder / "boundary.gpkg", driver="GPKG")
    return len(parcels)


# -- running -----------------------------------------------------------------------------------


def _vm_hwm_mb() -> float:
    """This process's peak resident memory (Linux VmHWM), reset at exec unlike ru_maxrss."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_job(name: str, data: Path, timeout: float) -> tuple[float, float, dict[str, float] | None]:
    """Run one contender; return (seconds, peak RSS MB, class totals or None if it failed)."""
    out = data / f"{name}.json"
    argv = [sys.executable, __file__, "--job", name, "--data", str(data), "--out", str(out)]
    t0 = time.perf_counter()
    errors = data / f"{name}.stderr"
    with open(errors, "wb") as sink:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=sink)
        try:
            status = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return float("inf"), float("nan"), None
    elapsed = time.perf_counter() - t0
    peak = float("nan")
    if status != 0:
        err = errors.read_text(errors="replace")
        print(f"  {name} failed: {err.strip().splitlines()[-1:] if err else status}")
        return elapsed, peak, None
    doc = json.loads(out.read_text())
    return elapsed, max(doc["rss_mb"], doc["children_rss_mb"]), doc["totals"]


def compare(ref: dict[str, float], got: dict[str, float]) -> float:
    keys = set(ref) | set(got)
    return max(abs(got.get(k, 0.0) - ref.get(k, 0.0)) / max(ref.get(k, 0.0), 1e-12) for k in keys)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--peer-max", type=int, default=1_000_000)
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--keep", type=Path)
    ap.add_argument("--job", choices=list(JOBS))
    ap.add_argument("--data", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--make", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.job:
        totals = JOBS[args.job](args.data)
        # qgis_process children are forked from this small process, so their ru_maxrss is
        # theirs; the job's own peak is its VmHWM.
        kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        out = {"totals": totals, "rss_mb": _vm_hwm_mb(), "children_rss_mb": kids}
        args.out.write_text(json.dumps(out))
        return
    if args.make:
        print(make_data(args.data, args.make))
        return
    root = args.keep or Path(tempfile.mkdtemp(prefix="overlay-bench-"))
    names = ["engine", "geopandas"] + (["qgis"] if QGIS.exists() else [])
    if not QGIS.exists():
        print(f"note: {QGIS} not found, the QGIS row is skipped")
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs; SYNTHETIC parcels")
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        data = root / f"n{size}"
        t0 = time.perf_counter()
        # In a subprocess, so this process stays small and forks small children.
        made = subprocess.run(
            [sys.executable, __file__, "--make", str(size), "--data", str(data)],
            check=True,
            capture_output=True,
            text=True,
        )
        n = int(made.stdout.strip())
        print(f"{n:,} parcels made and written in {time.perf_counter() - t0:.1f} s")
        times: dict[str, list[float]] = {k: [] for k in names}
        peaks: dict[str, list[float]] = {k: [] for k in names}
        totals: dict[str, dict[str, float] | None] = {}
        for _ in range(args.repeat):
            for name in names:
                if name != "engine" and n > args.peer_max:
                    continue
                sec, mb, got = run_job(name, data, args.timeout)
                times[name].append(sec)
                peaks[name].append(mb)
                totals[name] = got
        ref = statistics.median(times["engine"])
        for name in names:
            if not times[name]:
                continue
            med = statistics.median(times[name])
            diff = (
                compare(totals["engine"], totals[name])
                if totals.get(name) and totals.get("engine")
                else float("nan")
            )
            shown = f"> {args.timeout:.0f}" if med == float("inf") else f"{med:8.2f}"
            ratio = (
                ""
                if name == "engine"
                else (
                    f"{med / ref:6.1f}x" if med != float("inf") else f"> {args.timeout / ref:.0f}x"
                )
            )
            rows.append((n, name, shown, max(peaks[name]), ratio, diff))
            print(
                f"  {n:>9,} {name:<10} {shown} s  peak {max(peaks[name]):7.0f} MB  {ratio:>8}"
                f"  max class diff {diff:.1e}"
            )
    print("\nparcels   contender    time (s)   peak RSS (MB)   time / engine   max rel. class diff")
    for n, name, shown, mb, ratio, diff in rows:
        print(f"{n:>9,}  {name:<10} {shown:>10}   {mb:13.0f}   {ratio:>13}   {diff:.1e}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
