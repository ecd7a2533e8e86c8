"""Tests of the web map: rendered HTML, escaping, offline inlining, simplification, GCJ-02 shift.

Truth comes from outside the module: areas from ``pyproj.Geod`` directly, GCJ-02 from the
``prcoords`` package, escaping from the literal hostile string, and "remote" from a regex over
the page independent of the inliner's own check.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import prcoords
import pytest
import shapely
from common import GEOD, HOSTILE, page_data, sample_inputs, spans_text

from autocity_gis import _offline, style, webmap
from autocity_gis._errors import InputError


def geod_km2(geom: Any) -> float:
    geom = shapely.orient_polygons(geom)
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


def render(**kwargs: Any) -> str:
    comp, report = sample_inputs(hostile=kwargs.pop("hostile", None))
    page: str = webmap.make_map(comp, report, **kwargs).get_root().render()
    return page


def page_features(page: str) -> dict[str, list[dict[str, Any]]]:
    """Features in the page's data, by layer id."""
    out: dict[str, list[dict[str, Any]]] = {}
    for layer in page_data(page)["layers"]:
        for feat in layer["features"]:
            out.setdefault(feat["properties"]["layer"], []).append(feat)
    return out


def test_layers_styles_and_panels() -> None:
    comp, report = sample_inputs()
    page = webmap.make_map(comp, report).get_root().render()
    feats = page_features(page)
    assert set(feats) == {"auto_etdz", "xixin", "boundary", "context"}
    assert feats["xixin"][0]["properties"]["style"]["dashArray"] == style.ESTIMATED_DASH_PX
    assert "dashArray" not in feats["auto_etdz"][0]["properties"]["style"]
    assert "estimated" in spans_text(feats["xixin"][0]["properties"]["tip"])
    # One component is estimated, so the composed outline is too: dashed like it.
    assert report.estimated
    assert feats["boundary"][0]["properties"]["style"]["dashArray"] == style.ESTIMATED_DASH_PX
    # Numbers in the summary panel are the report's, formatted.
    assert f"{report.composed_km2:,.2f} km²" in page
    assert "471.00 km²" in page
    assert f"{report.components[0].measured_km2:,.2f} km²" in page
    for needle in (
        "acg-legend",
        "acg-summary",
        "acg-title",
        "L.Control.Layers",
        "L.control.fullscreen",
        "MousePosition",
        "MiniMap",
        "control.scale",
        "acgMeasureArea",
    ):
        assert needle in page, needle


def test_hostile_name_is_escaped() -> None:
    page = render(hostile=HOSTILE)
    # Nowhere does the raw tag appear, neither in markup nor in script data.
    assert HOSTILE not in page
    assert "<img" not in page
    # It is there, literally, in the page's data (where < is written \u003c).
    data = page_data(page)
    assert HOSTILE in spans_text(data["panels"]["legend"])
    assert HOSTILE in spans_text(data["layers"][2]["features"][0]["properties"]["tip"])


def test_name_cannot_close_a_script() -> None:
    benign = render(hostile="plain name")
    page = render(hostile="</script><script>alert(1)</script>")
    assert page.count("<script") == benign.count("<script")
    assert page.count("</script") == benign.count("</script")


def test_zh_labels() -> None:
    page = render(lang="zh")
    assert "面积汇总" in page and "图例" in page and "估算" in page


def test_bad_choices_raise_input_error() -> None:
    with pytest.raises(InputError, match="valid basemaps are: osm"):
        render(basemap="google")
    with pytest.raises(InputError, match="en, zh"):
        render(lang="fr")


def test_tianditu_needs_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(InputError, match="TIANDITU_KEY"):
        render(basemap="tianditu")
    monkeypatch.setenv("TIANDITU_KEY", "abc123secret")
    page = render(basemap="tianditu")
    assert "abc123secret" not in page  # not stored unless asked
    assert "tianditu.gov.cn" in page
    page = render(basemap="tianditu", keep_key=True)
    assert "abc123secret" in page


def test_basemaps_of_one_datum_only() -> None:
    page = render(basemap="amap")
    assert "autonavi.com" in page and "openstreetmap.org/{z}" not in page
    page = render(basemap="osm")
    assert "openstreetmap.org" in page and "autonavi" not in page


REMOTE = re.compile(
    r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""", re.I
)


def test_offline_page_has_no_remote_resources(tmp_path: Path) -> None:
    comp, report = sample_inputs()
    out = webmap.write_map(comp, report, tmp_path / "map.html", offline=True)
    page = out.path.read_text(encoding="utf-8")
    assert out.basemap == "none" and out.datum == "WGS84"
    # Attribution links are <a href>: the only http(s) hrefs allowed. Leaflet's own prefix is one.
    without_links = re.sub(r"<a\s[^>]*href=[^>]*>", "", page)
    without_links = re.sub(r"""<a [^"']*href=\\?["'][^"']*\\?["']""", "", without_links)
    assert not REMOTE.search(without_links), REMOTE.search(without_links)
    assert "<script src" not in page and '<link rel="stylesheet" href' not in page
    assert "leaflet@1.9.4" in page  # provenance comments of the inlined copies
    assert out.bytes == len(out.path.read_bytes()) < 1_000_000


def test_offline_page_offers_no_online_basemap(tmp_path: Path) -> None:
    comp, report = sample_inputs()
    for lang in ("en", "zh"):
        out = webmap.write_map(comp, report, tmp_path / f"{lang}.html", offline=True, lang=lang)
        data = page_data(out.path.read_text(encoding="utf-8"))
        # The layer control's base layers and the minimap come from this list: nothing to load.
        assert data["basemaps"] == [] and data["minimap"]["basemap"] is None
        assert not data["tianditu"]["ask"]
    online = page_data(render())
    assert [b["id"] for b in online["basemaps"]][:1] == ["osm"]
    # An online basemap cannot be had offline: one sentence, before anything is written.
    for name in ("osm", "amap", "tianditu"):
        with pytest.raises(InputError, match=f"basemap '{name}' loads its tiles from the network"):
            webmap.write_map(
                comp, report, tmp_path / "x.html", offline=True, basemap=name, tianditu_key="k1"
            )
    assert not (tmp_path / "x.html").exists()


def test_chinese_page_names_cjk_fonts() -> None:
    """Chinese text is drawn in a CJK face the reader's system has, not a random fallback."""
    page = render(lang="zh")
    rule = re.search(r"\.leaflet-container\s*\{[^}]*\bfont:([^;}]*)", page)
    assert rule is not None
    families = [f.strip().strip('"') for f in rule.group(1).split(",")]
    cjk = {"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei"}
    assert cjk <= set(families)
    assert families[-1] == "sans-serif"  # the generic family last, after every CJK face
    assert '<html lang="zh-CN">' in page


def test_online_page_is_self_contained_too(tmp_path: Path) -> None:
    # Every page carries Leaflet and its plugins, so it draws with the network cut; an online
    # page differs from an offline one only in that it may load basemap tiles.
    comp, report = sample_inputs()
    out = webmap.write_map(comp, report, tmp_path / "map.html", lang="zh")
    page = out.path.read_text(encoding="utf-8")
    assert out.basemap == "osm" and not out.offline
    assert not re.findall(r'<script src="|<link rel="stylesheet"', page)
    head = page[: page.index('<script type="application/json"')]
    assert not _offline.REMOTE_RESOURCE.search(head)
    for asset in _offline.ASSETS.values():  # each inlined copy names its pinned release
        assert f"/* {asset.package}@{asset.version} */" in page
    assert '<html lang="zh-CN">' in page
    assert "jquery" not in page and "bootstrap" not in page and "fontawesome" not in page


def test_simplification_bound(tmp_path: Path) -> None:
    comp, report = sample_inputs()
    out = webmap.write_map(comp, report, tmp_path / "map.html")
    feats = page_features(out.path.read_text(encoding="utf-8"))
    by_layer = {s.layer: s for s in out.simplification}
    assert by_layer["xixin"].tolerance_m > 0  # the zig-zag border was simplified
    assert by_layer["xixin"].vertices_after < by_layer["xixin"].vertices_before
    originals = dict(zip(comp.components["id"], comp.components.geometry, strict=True))
    originals["boundary"] = comp.boundary.geometry.iloc[0]
    for layer, geom in originals.items():
        drawn = shapely.geometry.shape(feats[layer][0]["geometry"])
        change = abs(geod_km2(drawn) - geod_km2(geom)) / geod_km2(geom) * 100
        assert change <= webmap.MAX_AREA_CHANGE_PCT, (layer, change)
    # Shared border stays shared: the drawn components neither overlap nor leave a gap.
    west = shapely.geometry.shape(feats["auto_etdz"][0]["geometry"])
    east = shapely.geometry.shape(feats["xixin"][0]["geometry"])
    assert west.intersection(east).area == pytest.approx(0, abs=1e-12)
    assert (
        shapely.union_all([west, east])
        .difference(shapely.geometry.shape(feats["boundary"][0]["geometry"]))
        .area
        < 1e-12
    )


def test_gcj02_shift_matches_prcoords() -> None:
    wgs = render(basemap="osm", simplify=False)
    gcj = render(basemap="amap", simplify=False)
    assert "GCJ-02" in gcj
    ring_wgs = np.asarray(page_features(wgs)["auto_etdz"][0]["geometry"]["coordinates"][0])
    ring_gcj = np.asarray(page_features(gcj)["auto_etdz"][0]["geometry"]["coordinates"][0])
    assert ring_wgs.shape == ring_gcj.shape
    for (lon, lat), (glon, glat) in zip(ring_wgs[::25], ring_gcj[::25], strict=True):
        ref = prcoords.wgs_gcj(prcoords.Coords(lat, lon))
        assert glat == pytest.approx(ref.lat, abs=2e-6)
        assert glon == pytest.approx(ref.lon, abs=2e-6)
    # The shift near Changchun is hundreds of metres, so the test could not pass by accident.
    assert np.abs(ring_gcj - ring_wgs).max() > 0.002


def test_inliner_refuses_unvendored_resources() -> None:
    from autocity_gis import _offline

    page = '<script src="https://example.com/evil.js"></script>'
    with pytest.raises(RuntimeError, match="not a vendored asset"):
        _offline.inline_assets(page)


def test_map_output_reports_simplification(tmp_path: Path) -> None:
    comp, report = sample_inputs()
    out = webmap.write_map(comp, report, tmp_path / "m.html", basemap="amap")
    assert out.datum == "GCJ02" and out.basemap == "amap" and not out.offline
    assert {s.layer for s in out.simplification} == {"auto_etdz", "xixin", "boundary", "context"}
    assert 0 <= out.max_area_change_pct <= webmap.MAX_AREA_CHANGE_PCT
    assert all(s.tolerance_m in webmap.TOLERANCE_LADDER_M for s in out.simplification)
    page = out.path.read_text(encoding="utf-8")
    assert "GCJ-02" in page and f"{out.max_area_change_pct:.3f}%" in page


def test_own_assets_ship_in_the_wheel() -> None:
    """The page's script and styles are package data (a wheel without them draws nothing)."""
    import fnmatch
    import tomllib

    repo = Path(__file__).resolve().parents[1]
    config = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    assert "autocity_gis.webmap" in setuptools["packages"]
    patterns = setuptools["package-data"]["autocity_gis.webmap"]
    folder = repo / "src" / "autocity_gis" / "webmap"
    assets = [p.relative_to(folder).as_posix() for p in (folder / "assets").iterdir()]
    assert {"assets/map.js", "assets/map.css"} <= set(assets)
    for asset in assets:
        assert any(fnmatch.fnmatch(asset, pattern) for pattern in patterns), asset


def test_page_template_compiles_no_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every string Jinja compiles while the page is rendered is fixed: no name reaches it."""
    import jinja2

    marker = "Zz-marker-7f3a"
    compiled: list[str] = []
    real = jinja2.Environment.from_string

    def spy(self: jinja2.Environment, source: Any, *args: Any, **kwargs: Any) -> Any:
        compiled.append(str(source))
        return real(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "from_string", spy)
    page = render(hostile=marker)
    assert compiled, "the spy saw no template"
    assert not [source for source in compiled if marker in source]
    assert marker in json.dumps(page_data(page), ensure_ascii=False)


def test_interface_texts_are_data_with_the_same_keys_in_each_language() -> None:
    from autocity_gis.webmap._labels import TEXT

    assert TEXT["en"].keys() == TEXT["zh"].keys()
    assert all(TEXT[lang][key].strip() for lang in TEXT for key in TEXT[lang])
    # The same {fields} in both languages, or str.format would fail in one of them.
    fields = re.compile(r"{(\w+)}")
    for key in TEXT["en"]:
        assert set(fields.findall(TEXT["en"][key])) == set(fields.findall(TEXT["zh"][key])), key


# -- the fixed page: folium's shell, read from a package file when a page is written ----------

_MAP_ID = re.compile(r"map_[0-9a-f]{32}")


def test_packaged_page_shell_is_what_folium_renders(tmp_path: Path) -> None:
    """assets/page.html is folium's page; a written page is the page folium's map renders."""
    from autocity_gis.webmap import _folium

    packaged = (Path(webmap.__file__).parent / "assets" / "page.html").read_text(encoding="utf-8")
    assert packaged == _folium.shell_asset()  # else: python scripts/make_page_shell.py
    comp, report = sample_inputs(hostile=HOSTILE)
    for lang in ("en", "zh"):
        written = webmap.write_map(comp, report, tmp_path / f"{lang}.html", lang=lang)
        page = written.path.read_bytes().decode("utf-8")  # as written: CRLF in vendored CSS
        folium_page = webmap.make_map(comp, report, lang=lang).get_root().render()
        # One new id per page (folium's kind), the same everywhere in it.
        assert len(set(_MAP_ID.findall(page))) == 1 and len(_MAP_ID.findall(page)) == 5
        assert _MAP_ID.sub("map_ID", page) == _MAP_ID.sub("map_ID", folium_page)


def test_writing_a_page_imports_no_folium_or_jinja(tmp_path: Path) -> None:
    # Folium's import (with branca and Jinja) is ~0.13 s of every build; writing a page needs
    # neither: the fixed shell is a package file, and nothing is compiled as a template.
    code = (
        "import sys\n"
        "from autocity_gis.api import write_web_map\n"
        f"write_web_map(None, {str(tmp_path / 'map.html')!r}, offline=True)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'folium', 'branca', 'jinja2'}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
    assert page_data((tmp_path / "map.html").read_text(encoding="utf-8"))["layers"]
