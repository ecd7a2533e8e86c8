"""The offline web map in a real browser: Debian's Chromium driven by playwright-core.

``tests/browser/check.mjs`` opens the page headless, aborts and records every request that
leaves it, and reports console errors, the Leaflet overlays and the panel texts; these tests
assert on that report. Truth is independent of the page builder: areas and the measure tool
against ``pyproj.Geod``, GCJ-02 coordinates against ``prcoords``, numbers against the
``ValidationReport``. Without Chromium or ``tests/browser/node_modules`` the tests skip, unless
the ``CI`` environment variable is set (``.ci/setup-browser.sh`` installs both).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import prcoords
import pytest
from common import GEOD, HOSTILE, sample_inputs

from autocity_gis import webmap

pytestmark = pytest.mark.browser

HERE = Path(__file__).parent
SCRIPT = HERE / "browser" / "check.mjs"
ARTIFACTS = HERE / "_artifacts"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (install nodejs and npm; `make test` then fetches the driver)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if not (HERE / "browser" / "node_modules" / "playwright-core").is_dir():
        return "tests/browser/node_modules is missing (with npm installed, `make test` fetches it)"
    return None


@pytest.fixture(scope="module")
def browser_ready() -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run in CI: {reason}")
    pytest.skip(reason)


def run_check(page: Path, tmp: Path, shot: Path) -> dict[str, Any]:
    out = tmp / f"{page.stem}.json"
    proc = subprocess.run(
        ["node", str(SCRIPT), str(page), str(out), str(shot)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


@pytest.fixture(scope="module")
def offline_page(browser_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("browser")
    comp, report = sample_inputs()
    out = webmap.write_map(comp, report, tmp / "map.html", offline=True)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "map.png"
    return comp, report, out, run_check(out.path, tmp, shot), shot


def test_offline_page_makes_no_request_and_logs_no_error(offline_page: Any) -> None:
    _, _, out, seen, _ = offline_page
    assert out.basemap == "none"
    assert seen["requests"] == []
    assert seen["console_errors"] == []
    assert seen["page_errors"] == []
    # No online base layer to pick in the layer control, and no tile layer on the map.
    assert seen["control_bases"] == [] and seen["tile_layers"] == 0


def test_offline_chinese_page_offers_no_basemap(browser_ready: None, tmp_path: Path) -> None:
    comp, report = sample_inputs()
    out = webmap.write_map(comp, report, tmp_path / "zh.html", offline=True, lang="zh")
    seen = run_check(out.path, tmp_path, tmp_path / "zh.png")
    assert seen["requests"] == [] and seen["page_errors"] == [] and seen["console_errors"] == []
    assert seen["control_bases"] == [] and seen["tile_layers"] == 0
    assert len(seen["control_overlays"]) == len(seen["overlays"]) > 0


def test_map_layers_and_controls(offline_page: Any) -> None:
    comp, _, out, seen, _ = offline_page
    assert seen["map_count"] == 1
    expected = ["context", *comp.components["id"], "boundary"]
    assert [o["id"] for o in seen["overlays"]] == expected == list(out.overlays)
    assert len(seen["control_overlays"]) == len(expected)
    assert any("(estimated)" in label for label in seen["control_overlays"])
    for control in (
        "has_scale",
        "has_minimap",
        "has_fullscreen",
        "has_mouse_position",
        "has_measure",
    ):
        assert seen[control], control
    assert seen["mouse_position"].startswith("WGS 84:")


def test_panels_show_the_reports_numbers(offline_page: Any) -> None:
    _, report, _, seen, _ = offline_page
    summary, legend, title = seen["summary"], seen["legend"], seen["title"]
    assert f"{report.composed_km2:,.2f} km²" in summary
    assert f"{report.target_km2:,.2f} km²" in summary
    assert f"{report.delta_pct:+.2f}%" in summary
    for comp in report.components:
        assert f"{comp.measured_km2:,.2f} km²" in summary
        assert comp.name_en in legend
    assert "estimated" in legend and "estimated" in summary
    assert "WGS 84" in title and "estimated" in title


def test_measure_tool_gives_the_geodesic_area(offline_page: Any) -> None:
    _, _, _, seen, _ = offline_page
    lons, lats = [125.1, 125.2, 125.2, 125.1], [43.8, 43.8, 43.9, 43.9]
    area, perimeter = GEOD.polygon_area_perimeter(lons, lats)
    assert seen["measure_square"]["area_m2"] == pytest.approx(abs(area), rel=1e-9)
    assert seen["measure_square"]["perimeter_m"] == pytest.approx(perimeter, rel=1e-9)


def test_screenshot_written(offline_page: Any) -> None:
    shot: Path = offline_page[4]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # a blank 1280x800 page compresses to a few kB


def test_gcj02_page_shifted_and_hostile_name_inert(browser_ready: None, tmp_path: Path) -> None:
    comp, report = sample_inputs(hostile=HOSTILE)
    out = webmap.write_map(comp, report, tmp_path / "gcj.html", basemap="amap", simplify=False)
    seen = run_check(out.path, tmp_path, tmp_path / "gcj.png")
    # Every page is self-contained: the basemap's tiles are the only requests (aborted here).
    assert seen["requests"], "expected tile requests"
    assert all(".is.autonavi.com/appmaptile" in url for url in seen["requests"]), seen["requests"]
    assert seen["page_errors"] == []
    assert all("Failed to load resource" in e for e in seen["console_errors"])
    # The hostile name is text, not an element.
    assert seen["injected_images"] == 0
    assert HOSTILE in seen["legend"] and HOSTILE in seen["summary"]
    assert "GCJ-02" in seen["title"]
    # Every drawn vertex is the GCJ-02 image of an original WGS 84 vertex.
    overlays = {o["id"]: np.asarray(o["coords"]) for o in seen["overlays"]}
    for cid, geom in zip(comp.components["id"], comp.components.geometry, strict=True):
        lon, lat = np.asarray(geom.exterior.coords).T
        shifted = [prcoords.wgs_gcj(prcoords.Coords(y, x)) for x, y in zip(lon, lat, strict=True)]
        expected = np.array([(g.lon, g.lat) for g in shifted])
        drawn = overlays[cid]
        nearest = np.abs(drawn[:, None, :] - expected[None, :, :]).max(axis=2).min(axis=1)
        assert nearest.max() < 2e-6, cid
        assert np.abs(drawn - np.column_stack([lon, lat])[: len(drawn)]).max() > 0.002


def test_embedded_build_in_the_browser(browser_ready: None, tmp_path: Path) -> None:
    """What a planner opens after `make run --offline`: the real data, every layer, honest."""
    from autocity_gis.api import build

    result = build(out=tmp_path / "out", offline=True)
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    seen = run_check(
        tmp_path / "out" / "autocity_map.html", tmp_path, ARTIFACTS / "embedded_map.png"
    )
    assert seen["requests"] == [] and seen["console_errors"] == [] and seen["page_errors"] == []
    assert seen["control_bases"] == [] and seen["tile_layers"] == 0
    ids = [o["id"] for o in seen["overlays"]]
    assert ids == ["context", "auto_etdz", "xixin", "daling", "fanjiatun", "boundary"]
    assert [o["features"] for o in seen["overlays"] if o["id"] == "context"] == [7]
    summary, legend = seen["summary"], seen["legend"]
    assert f"{report['composed_km2']:,.2f} km²" in summary
    assert "448.59 km²" in summary
    assert "471.00 km²" in summary and "failed" in summary
    for comp in report["components"]:
        assert f"{comp['measured_km2']:,.2f} km²" in summary
    for missing in report["missing"]:
        assert missing["name_en"] in summary  # listed as having no geometry
    assert legend.count("estimated") == 4
    assert result.map_bytes < 1_000_000


def test_tianditu_waits_for_the_readers_key(browser_ready: None, tmp_path: Path) -> None:
    comp, report = sample_inputs()
    key = "SECRET4711"
    asked = webmap.write_map(
        comp, report, tmp_path / "ask.html", basemap="tianditu", tianditu_key=key
    )
    assert "SECRET4711" not in asked.path.read_text(encoding="utf-8")
    # Headless, the key prompt is dismissed: no key, so no tile may be requested at all.
    seen = run_check(asked.path, tmp_path, tmp_path / "ask.png")
    assert seen["requests"] == [], seen["requests"][:3]
    assert seen["page_errors"] == []
    kept = webmap.write_map(
        comp,
        report,
        tmp_path / "kept.html",
        basemap="tianditu",
        tianditu_key="SECRET4711",
        keep_key=True,
    )
    seen = run_check(kept.path, tmp_path, tmp_path / "kept.png")
    assert seen["requests"] and all("tianditu.gov.cn" in u for u in seen["requests"])
    assert all("tk=SECRET4711" in u for u in seen["requests"])


TEXTS_SCRIPT = HERE / "browser" / "texts.mjs"


def run_texts(pages: list[Path], tmp: Path) -> list[dict[str, Any]]:
    out = tmp / "texts.json"
    proc = subprocess.run(
        ["node", str(TEXTS_SCRIPT), str(out), *map(str, pages)],
        capture_output=True,
        text=True,
        timeout=60 + 10 * len(pages),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
    return result


def test_payloads_show_literally(
    browser_ready: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every hostile text, in every field, is shown as itself by Chromium, and nothing runs."""
    from common import hostile_inputs
    from payloads import BENIGN, COMMAND_ENV
    from payloads import WEB_PAYLOADS as PAYLOADS
    from payloads import web_payload as payload

    marker = tmp_path / "pwned"
    monkeypatch.setenv(COMMAND_ENV, f"touch {marker}")
    texts = [BENIGN] + [payload(name, marker) for name in PAYLOADS]
    pages = []
    for i, text in enumerate(texts):
        comp, report = hostile_inputs(text)
        pages.append(webmap.write_map(comp, report, tmp_path / f"p{i}.html", offline=True).path)
    seen = run_texts(pages, tmp_path)
    assert not marker.exists()
    benign = seen[0]
    for text, page in zip(texts, seen, strict=True):
        label = repr(text[:40])
        # Offline: not one request, not one error; nothing the payload says was executed.
        assert page["requests"] == [] and page["page_errors"] == [], label
        assert page["console_errors"] == [], label
        assert page["pwned"] is None and page["bold_x"] == 0, label
        assert page["injected"] == benign["injected"], label
        # The text is shown as itself: one text node of each place holds exactly the payload.
        assert page["title"] == text, label
        for panel in ("title", "summary", "legend"):
            assert text in page["panels"][panel], (label, panel)
        assert page["panels"]["summary"].count(text) >= 3, label  # two parts, target source
        assert page["panels"]["legend"].count(text) == 2, label
        assert sum(text in control for control in page["controls"]) == 2, label
        features = {f["layer"]: f for f in page["features"]}
        for layer in ("west", "east", "context"):
            assert features[layer]["tip"][0] == text, (label, layer)
            assert features[layer]["popup"].count(text) >= 5, (label, layer)
        assert features["boundary"]["tip"][0] == text, label
        assert features["overlaps"]["tip"].count(text) == 2, label  # the two component ids


def test_default_page_draws_with_the_network_cut(browser_ready: None, tmp_path: Path) -> None:
    """What `make run` writes, opened on an intranet: every overlay, and one line on the tiles."""
    from autocity_gis.api import build

    build(out=tmp_path / "out", lang="zh")  # online: OpenStreetMap tiles, not --offline
    seen = run_check(
        tmp_path / "out" / "autocity_map.html", tmp_path, ARTIFACTS / "online_blocked_map.png"
    )
    assert seen["page_errors"] == []
    ids = [o["id"] for o in seen["overlays"]]
    assert ids == ["context", "auto_etdz", "xixin", "daling", "fanjiatun", "boundary"]
    # The only requests are basemap tiles (all refused here); no script or style is fetched.
    assert seen["requests"] and all(
        r.startswith("https://tile.openstreetmap.org/") for r in seen["requests"]
    )
    assert "底图瓦片无法加载" in seen["title"]
    assert seen["control_bases"] and seen["tile_layers"] >= 1  # online: basemaps to choose
