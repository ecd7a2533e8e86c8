"""Resource limits (issue #9): inputs beyond a limit get one line naming the file, the limit and
the environment variable that raises it; the limits are read from the environment."""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest
import shapely
from common import WEST, component_frame

from autocity_gis._errors import InputError, LayerError
from autocity_gis.layers import read_layer
from autocity_gis.limits import Limits
from autocity_gis.recipe import LayerSource


def test_defaults_are_generous_for_planning_data() -> None:
    limits = Limits()
    assert limits.max_features >= 1_000_000
    assert limits.max_vertices >= 50_000_000
    assert limits.max_text_chars >= 100_000
    assert limits.max_recipe_bytes >= 1024**2


def test_from_env_reads_each_variable() -> None:
    env = {
        "AUTOCITY_GIS_MAX_FEATURES": "5",
        "AUTOCITY_GIS_MAX_VERTICES": "1_000",
        "AUTOCITY_GIS_MAX_TEXT_CHARS": "7",
        "AUTOCITY_GIS_MAX_UNZIPPED_BYTES": "9,000",
        "AUTOCITY_GIS_MAX_RECIPE_BYTES": " 11 ",
        "UNRELATED": "x",
    }
    assert Limits.from_env(env) == Limits(5, 1000, 7, 9000, 11)
    assert Limits.from_env({}) == Limits()


@pytest.mark.parametrize("value", ["-1", "0", "lots", "1e6", "2.5"])
def test_from_env_refuses_nonsense_in_one_line(value: str) -> None:
    with pytest.raises(InputError) as exc:
        Limits.from_env({"AUTOCITY_GIS_MAX_FEATURES": value})
    assert "AUTOCITY_GIS_MAX_FEATURES" in str(exc.value) and "\n" not in str(exc.value)


def _layer(tmp_path: Path, count: int, name: str = "many.gpkg") -> Path:
    rows = [
        {"id": f"f{i}", "geometry": shapely.affinity.translate(WEST, 0.0, 0.1 * (i % 50))}
        for i in range(count)
    ]
    path = tmp_path / name
    pyogrio.write_dataframe(component_frame(rows), path)
    return path


def _refusal(exc: pytest.ExceptionInfo[LayerError], path: Path, env: str) -> str:
    text = str(exc.value)
    assert "\n" not in text and str(path) in text and env in text
    return text


@pytest.mark.parametrize("name", ["many.gpkg", "many.geojson", "many.fgb"])
def test_too_many_features(tmp_path: Path, name: str) -> None:
    path = _layer(tmp_path, 30, name)
    with pytest.raises(LayerError) as exc:
        read_layer(LayerSource(path=path), limits=Limits(max_features=20))
    text = _refusal(exc, path, "AUTOCITY_GIS_MAX_FEATURES")
    assert "more than the limit of 20" in text


def test_feature_count_checked_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A GeoPackage knows its count: the refusal comes without reading any feature.
    path = _layer(tmp_path, 30)

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("read_dataframe was called")

    monkeypatch.setattr(pyogrio, "read_dataframe", no_reading)
    with pytest.raises(LayerError, match="has 30 features, more than the limit of 20"):
        read_layer(LayerSource(path=path), limits=Limits(max_features=20))


def test_too_many_vertices(tmp_path: Path) -> None:
    path = tmp_path / "dense.gpkg"
    pyogrio.write_dataframe(component_frame([{"id": "w", "geometry": WEST}]), path)
    vertices = shapely.get_num_coordinates(WEST)
    with pytest.raises(LayerError) as exc:
        read_layer(LayerSource(path=path), limits=Limits(max_vertices=vertices - 1))
    text = _refusal(exc, path, "AUTOCITY_GIS_MAX_VERTICES")
    assert f"has {vertices:,} vertices" in text


def test_too_long_text(tmp_path: Path) -> None:
    path = tmp_path / "long.gpkg"
    frame = component_frame([{"id": "w", "name_zh": "长" * 500, "geometry": WEST}])
    pyogrio.write_dataframe(frame, path)
    with pytest.raises(LayerError) as exc:
        read_layer(LayerSource(path=path), limits=Limits(max_text_chars=100))
    text = _refusal(exc, path, "AUTOCITY_GIS_MAX_TEXT_CHARS")
    assert "feature 0: attribute 'name_zh' has 500 characters" in text


def test_large_reads_report_progress(tmp_path: Path) -> None:
    from autocity_gis import _gdal

    count = _gdal.PROGRESS_FEATURES + 1
    frame = component_frame(
        [
            {
                "id": f"f{i}",
                "geometry": shapely.box(125.1 + 1e-4 * i, 43.8, 125.1001 + 1e-4 * i, 43.9),
            }
            for i in range(count)
        ]
    )
    path = tmp_path / "big.gpkg"
    pyogrio.write_dataframe(frame, path)
    lines: list[str] = []
    read_layer(LayerSource(path=path, filter={"id": "f0"}), progress=lines.append)
    assert lines == [f"reading big.gpkg ({count:,} features)"]


def test_environment_raises_or_lowers_the_limit_without_wiring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The refusal names the variable, so setting it must work for every caller.
    path = _layer(tmp_path, 30)
    monkeypatch.setenv("AUTOCITY_GIS_MAX_FEATURES", "20")
    with pytest.raises(LayerError, match="more than the limit of 20"):
        read_layer(LayerSource(path=path))
    monkeypatch.setenv("AUTOCITY_GIS_MAX_FEATURES", "30")
    assert len(read_layer(LayerSource(path=path, filter={"id": "f1"})).frame) == 1


def test_api_takes_limits_for_every_command(write_recipe, tmp_path: Path) -> None:
    from autocity_gis import api

    recipe = write_recipe([{"id": "w", "geometry": WEST}])
    tight = Limits(max_vertices=10)
    calls = [
        lambda: api.check(recipe, limits=tight),
        lambda: api.build(recipe, tmp_path / "out", limits=tight),
        lambda: api.export(recipe, tmp_path / "exp", limits=tight),
        lambda: api.write_reports_to(recipe, tmp_path / "rep", limits=tight),
        lambda: api.write_web_map(recipe, tmp_path / "map" / "m.html", limits=tight),
    ]
    for call in calls:
        with pytest.raises(LayerError, match="AUTOCITY_GIS_MAX_VERTICES"):
            call()
    assert not any((tmp_path / name).exists() for name in ("out", "exp", "rep", "map"))
    assert api.check(recipe, limits=Limits())[2].composed_km2 > 0
