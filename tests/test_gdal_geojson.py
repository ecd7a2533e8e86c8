"""GeoJSON read in one parse: the features' schema from the first feature, kept only when exact.

``_gdal.read_file`` reads a GeoJSON FeatureCollection on a worker thread whose GDAL first pass
stops after one feature (a thread-local option), beside the full first pass of the layer's
information. The reference is pyogrio's plain read of the same file, in a process state where
no option is set: whatever the later features add (a field, a wider type, an id), the frame
must equal it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import pytest

from autocity_gis import _gdal
from autocity_gis._gdal_network import _GDAL, thread_config

needs_gdal_handle = pytest.mark.skipif(
    _GDAL is None, reason="the GDAL library pyogrio loaded cannot be reached through ctypes"
)


def _square(x: float) -> dict[str, Any]:
    ring = [[x, 0.0], [x + 1.0, 0.0], [x + 1.0, 1.0], [x, 1.0], [x, 0.0]]
    return {"type": "Polygon", "coordinates": [ring]}


def _write(path: Path, properties: list[dict[str, Any]], ids: list[Any] | None = None) -> Path:
    features = []
    for n, props in enumerate(properties):
        feature: dict[str, Any] = {"type": "Feature", "properties": props, "geometry": _square(n)}
        if ids is not None:
            feature["id"] = ids[n]
        features.append(feature)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


#: Features before the last one: GDAL's first pass reads 40 KB at a time and stops at the end
#: of a chunk, so the last feature must lie well beyond the first chunk to be left out of it.
MANY = 1500

#: Each case: the properties of every feature but the last, and of the last.
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "same fields throughout": ({"a": 1, "b": "x"}, {"a": 2, "b": "y"}),
    "a field only in the last feature": ({"a": 1}, {"a": 3, "late": "only here"}),
    "an integer field that turns real": ({"a": 1}, {"a": 2.5}),
    "a date only in the last feature": ({"d": None}, {"d": "2024-05-01"}),
    "no properties before the last": ({}, {"a": 1}),
}


def _case(name: str) -> list[dict[str, Any]]:
    typical, last = CASES[name]
    return [dict(typical) for _ in range(MANY)] + [last]


@pytest.mark.parametrize("name", list(CASES))
def test_read_equals_pyogrios_full_read(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path / "layer.geojson", _case(name))
    ours = _gdal.read_file(path).frame
    reference = pyogrio.read_dataframe(path)
    pd.testing.assert_frame_equal(ours.drop(columns="geometry"), reference.drop(columns="geometry"))
    assert list(ours.geometry.to_wkb()) == list(reference.geometry.to_wkb())


# GDAL warns that it renumbers the duplicate ids, on either read: the point is the columns.
@pytest.mark.filterwarnings("ignore:Several features with id:RuntimeWarning")
def test_ids_that_stop_being_integers_keep_the_full_reads_columns(tmp_path: Path) -> None:
    ids: list[Any] = [*range(MANY), "last"]
    path = _write(tmp_path / "ids.geojson", [{"a": n} for n in range(MANY + 1)], ids=ids)
    ours = _gdal.read_file(path).frame
    reference = pyogrio.read_dataframe(path)
    assert list(ours.columns) == list(reference.columns)
    pd.testing.assert_frame_equal(ours.drop(columns="geometry"), reference.drop(columns="geometry"))


@needs_gdal_handle
def test_the_shortened_first_pass_stays_on_its_thread(tmp_path: Path) -> None:
    path = _write(tmp_path / "late.geojson", _case("a field only in the last feature"))
    with thread_config(_gdal._FIRST_FEATURE_SCHEMA) as shortened:
        assert shortened
        assert list(pyogrio.read_info(path)["fields"]) == ["a"]  # this thread: first feature
    # set and unset for that thread only: the process reads the whole schema again
    assert list(pyogrio.read_info(path)["fields"]) == ["a", "late"]


@needs_gdal_handle
@pytest.mark.parametrize(
    ("name", "reads"),
    [("same fields throughout", 1), ("a field only in the last feature", 2),
     ("an integer field that turns real", 2)],
)
def test_one_read_when_the_first_feature_tells_the_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, reads: int
) -> None:
    path = _write(tmp_path / "layer.geojson", _case(name))
    calls: list[int] = []
    real = _gdal._Read.frame

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(_gdal._Read, "frame", counting)
    _gdal.read_file(path)
    assert len(calls) == reads  # a second read only when the full pass saw more


@needs_gdal_handle
@pytest.mark.filterwarnings("ignore:Several features with id:RuntimeWarning")
def test_what_gdal_says_on_the_worker_thread_becomes_a_note_not_raw_stderr(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # pyogrio's handler lives on the thread that imported it; GDAL prints raw elsewhere
    path = _write(tmp_path / "dup.geojson", [{"a": n} for n in range(MANY)], ids=[0] * MANY)
    notes = _gdal.read_file(path).notes
    assert any("Several features with id = 0" in note for note in notes)
    assert len(notes) == len(set(notes))
    assert "Warning" not in capfd.readouterr().err
