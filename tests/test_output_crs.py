"""Issue 11, item 5: hand-offs in the CRS the planner asks for (``--crs``, ``--gauss-kruger``).

Truth: pyogrio/GDAL reading the files back, pyproj's CRS database, ``common.geod_km2``
(pyproj.Geod) on the geometry brought back to EPSG:4326, and the CLI's exit status and stderr.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from common import EAST, WEST, geod_km2
from pyproj import CRS

from autocity_gis import _export as export
from autocity_gis import api
from autocity_gis._errors import InputError
from autocity_gis.cli import NAMED_CRS_HELP, cli

FORMATS = ("gpkg", "qgs", "shp", "kml", "dxf")


@pytest.fixture
def recipe(write_recipe: Callable[..., Path]) -> Path:
    return write_recipe([{"id": "w", "geometry": WEST}, {"id": "e", "geometry": EAST}])


def _measured(out: Path) -> dict[str, float]:
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {c["id"]: c["measured_km2"] for c in data["components"]} | {
        "boundary": data["composed_km2"]
    }


@pytest.mark.parametrize("epsg", [4551, 4530])
def test_build_crs_writes_geopackage_shapefile_and_dxf_in_it(
    recipe: Path, tmp_path: Path, epsg: int
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["build", "--recipe", str(recipe), "--out", str(out), "--offline", "-q",
         "--crs", f"EPSG:{epsg}", *(a for f in FORMATS for a in ("--format", f))],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    measured = _measured(out)
    for path in (out / "autocity.gpkg", out / "autocity_shp" / "components.shp"):
        layer = "components" if path.suffix == ".gpkg" else None
        frame = pyogrio.read_dataframe(path, layer=layer)
        assert CRS.from_user_input(frame.crs).to_epsg() == epsg
        x = shapely.get_coordinates(frame.geometry).T[0]
        # metres in CGCS2000 GK CM 126°E: 4530 carries the zone number 42 in front
        assert (42_400_000 < x.min() < 42_500_000) if epsg == 4530 else (400_000 < x.min())
        areas = dict(zip(frame["id"], frame.to_crs(4326).geometry.map(geod_km2), strict=True))
        assert areas == pytest.approx({k: measured[k] for k in ("w", "e")}, rel=1e-9)
    boundary = pyogrio.read_dataframe(out / "autocity.gpkg", layer="boundary")
    assert geod_km2(boundary.to_crs(4326).geometry[0]) == pytest.approx(
        measured["boundary"], rel=1e-9
    )
    # GeoJSON stays RFC 7946 lon/lat, KML WGS 84, whatever --crs says
    geojson = json.loads((out / "components.geojson").read_text(encoding="utf-8"))
    lon, lat = geojson["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 125 < lon < 126 and 43 < lat < 44
    assert "<coordinates>125." in (out / "autocity.kml").read_text(encoding="utf-8")
    # the DXF (no CRS of its own) holds the same metres
    dxf = pyogrio.read_dataframe(out / "autocity.dxf")
    assert shapely.get_coordinates(dxf.geometry).T[0].min() == pytest.approx(x.min(), abs=1)
    # the report says which file is in which CRS
    md = (out / "report.md").read_text(encoding="utf-8")
    for line in (f"| GeoPackage | EPSG:{epsg} |", f"| Shapefile | EPSG:{epsg} |",
                 f"| DXF | EPSG:{epsg} |", f"| QGIS project | EPSG:{epsg} |",
                 "| GeoJSON | EPSG:4326 |", "| KML | EPSG:4326 |"):  # fmt: skip
        assert line in md
    assert "RFC 7946" in md


def test_without_crs_the_hand_offs_stay_wgs84(recipe: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.build(recipe, out, offline=True, formats=("gpkg", "shp"))
    assert pyogrio.read_info(out / "autocity.gpkg", layer="components")["crs"] == "EPSG:4326"
    assert pyogrio.read_info(out / "autocity_shp" / "components.shp")["crs"] == "EPSG:4326"


def test_gauss_kruger_is_the_zone_of_the_data(recipe: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = api.build(recipe, out, offline=True, formats=("gpkg", "shp"), gauss_kruger=True)
    # the data lie at 125.1-125.3°E: the CGCS2000 3° zone of CM 126°E, EPSG:4551
    assert result.report.gk_crs == "EPSG:4551"
    zone = CRS.from_epsg(4551)
    assert {p.name: p.value for p in zone.coordinate_operation.params}[
        "Longitude of natural origin"
    ] == 126
    for path in (out / "autocity.gpkg", out / "autocity_shp" / "boundary.shp"):
        layer = "boundary" if path.suffix == ".gpkg" else None
        assert pyogrio.read_info(path, layer=layer)["crs"] == "EPSG:4551"


@pytest.mark.parametrize(
    ("crs", "why"),
    [
        ("EPSG:4326", "geographic"),
        ("EPSG:4490", "geographic"),  # CGCS2000 lon/lat
        ("EPSG:2263", "US survey foot"),  # NY state plane, feet
        ("EPSG:999999", "not a CRS"),
        ("not a crs", "not a CRS"),
    ],
)
def test_a_geographic_or_non_metre_crs_is_refused_in_one_line(
    recipe: Path, tmp_path: Path, crs: str, why: str
) -> None:
    out = tmp_path / "out"
    for command in ("build", "export"):
        result = CliRunner().invoke(
            cli, [command, "--recipe", str(recipe), "--out", str(out), "--crs", crs]
        )
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("autocity-gis: error: --crs "), lines
        assert why in lines[0] and "Traceback" not in result.output
        # refused before any work: nothing was composed or written
        assert not out.exists()
        assert "composing" not in result.stderr


def test_the_library_refuses_the_same_crs_before_any_work(recipe: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="geographic"):
        api.export(recipe, tmp_path / "out", crs="EPSG:4326")
    assert not (tmp_path / "out").exists()


def test_help_names_the_gauss_kruger_zones() -> None:
    result = CliRunner().invoke(cli, ["build", "--help"])
    text = " ".join(result.output.split())
    assert "--crs EPSG:NNNN" in text
    for code, _ in export.NAMED_CRS.items():
        assert code in NAMED_CRS_HELP
        assert CRS.from_user_input(code).is_projected
    # the help's descriptions agree with PROJ's: central meridian and zone prefix
    for code, cm, prefix in (("EPSG:4551", 126, 0), ("EPSG:4550", 123, 0),
                             ("EPSG:4530", 126, 42), ("EPSG:4529", 123, 41)):  # fmt: skip
        params = {p.name: p.value for p in CRS.from_user_input(code).coordinate_operation.params}
        assert params["Longitude of natural origin"] == cm
        assert params["False easting"] == prefix * 1_000_000 + 500_000


# ----------------------------------------------------------------------------- file names


@pytest.mark.parametrize(
    ("city_id", "stem"),
    [
        ("autocity", "autocity"),
        ("test_city", "test_city"),
        ("Changchun-2035", "Changchun-2035"),
        ("../../etc/passwd", "etc_passwd"),
        ("a/b\\c", "a_b_c"),
        ("..", "autocity"),
        ("", "autocity"),
        ("汽车城", "autocity"),
        ("CON", "CON_"),
        ("lpt1", "lpt1_"),
        ("x" * 100, "x" * 64),
    ],
)
def test_output_stem_is_a_safe_file_name(city_id: str, stem: str) -> None:
    assert export.output_stem(city_id) == stem


def test_output_stem_of_every_payload_is_a_plain_name() -> None:
    from payloads import ALL, BLOCK_STARTS, PAYLOADS, text

    for value in (*PAYLOADS, *BLOCK_STARTS, ALL, text("city id")):
        stem = export.output_stem(value)
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", stem), (value, stem)
        assert stem.upper().split(".")[0] not in {"CON", "PRN", "AUX", "NUL"}
