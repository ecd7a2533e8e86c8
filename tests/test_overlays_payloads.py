"""Hostile text through the overlay engine: ids, keys, columns and class codes are data.

The engine emits user text in two places: one-line error messages (which the CLI prints) and
the result's ``to_dict()`` (which report.json carries). Messages must stay one printable line;
the JSON must carry the text exactly, for the renderers (_text.for_markdown/for_xml/...) to
escape where it is shown.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from payloads import ALL, PAYLOADS

from autocity_gis._errors import LayerError, RecipeError
from autocity_gis.overlays import control_conflicts, landuse_balance, parse_overlay


def _one_printable_line(message: str) -> None:
    assert message.isprintable(), repr(message)
    assert "\n" not in message and "\r" not in message and "\x1b" not in message


@pytest.mark.parametrize("payload", [*PAYLOADS, ALL])
def test_spec_messages_stay_one_printable_line(payload: str) -> None:
    base = {"id": payload, "kind": "landuse", "layer": "p.parquet", "class_column": "c"}
    for table in (
        {**base, "classification": payload},
        {**base, "classification": "mnr-2023", payload: 1},
        {**base, "classification": "mnr-2023", "kind": payload},
        {**base, "classification": "mnr-2023", "filter": {payload: {"x": 1}}},
    ):
        with pytest.raises(RecipeError) as info:
            parse_overlay(table, source="city.toml")
        _one_printable_line(str(info.value))


def test_missing_column_message_with_hostile_column_names(tmp_path) -> None:
    frame = gpd.GeoDataFrame(
        {"\x1b[2J\nX": ["0101"]}, geometry=[shapely.box(125, 44, 125.01, 44.01)], crs=4326
    )
    path = tmp_path / "p.parquet"
    frame.to_parquet(path)
    with pytest.raises(LayerError) as info:
        landuse_balance(
            path,
            boundary=shapely.box(125, 44, 125.01, 44.01),
            class_column="DLBM",
            classification="gbt21010-2017",
        )
    # The path of tmp_path is printable; the hostile column name must not break the line.
    _one_printable_line(str(info.value))


def test_hostile_codes_and_ids_reach_json_exactly() -> None:
    codes = [*PAYLOADS[:20], "0101"]
    boxes = [
        shapely.box(125 + i * 0.001, 44, 125 + (i + 1) * 0.001, 44.001) for i in range(len(codes))
    ]
    frame = gpd.GeoDataFrame({"DLBM": codes}, geometry=boxes, crs=4326)
    site = shapely.box(125, 44, 125 + len(codes) * 0.001, 44.001)
    result = landuse_balance(
        frame,
        boundary=site,
        components={ALL: site},
        class_column="DLBM",
        classification="gbt21010-2017",
        overlay_id=ALL,
    )
    doc = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert doc["id"] == ALL and doc["per_component"][0]["id"] == ALL
    # Codes are stripped of surrounding blanks (as read from a survey table), otherwise kept.
    unknown = {u["code"] for u in doc["unknown_codes"]}
    assert unknown == {c.strip() for c in PAYLOADS[:20]} - {""}
    ctrl = control_conflicts(
        frame.iloc[:1], boundary=site, components={ALL: site}, rule="exclude", overlay_id=ALL
    )
    doc = json.loads(json.dumps(ctrl.to_dict()))
    assert doc["id"] == ALL and doc["per_component"][0]["id"] == ALL
    assert list(ctrl.conflicts["component"]) == [ALL]
