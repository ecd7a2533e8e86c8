"""A starter recipe written from the layer files a planner already has (``autocity-gis init``).

This module owns the inspection of layer files for a new recipe -- their layers, CRS, feature
counts, columns, and the columns that most likely hold an identifier, a name or an area -- and
the commented TOML it writes from that. Files are read through the sandbox of
:mod:`autocity_gis._gdal`, like any layer. The starter names what it found and leaves what only a
person can know (the stated areas and their sources) as comments to fill in; it never guesses a
stated area from the data.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import InputError, OutputError
from ._text import for_terminal, for_utf8

#: Most components a starter lists one block each (so each stated area can be filled in); a
#: layer with more ids becomes one ``id_column`` block for the whole layer.
ONE_BY_ONE = 12
# Column names that usually hold what the starter looks for (case-insensitive): English GIS
# habits, and the pinyin abbreviations of Chinese land-survey (三调) and planning data.
_ID_NAMES = ("id", "code", "zone_id", "bsm", "xzqdm", "dm", "layer")
_NAME_NAMES = ("name", "name_zh", "name_en", "mc", "xzqmc", "zldwmc", "dlmc", "label")
_AREA_NAMES = ("area", "shape_area", "mj", "tbmj", "xzqmj", "area_km2", "km2")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class LayerSummary:
    """What :func:`inspect_file` found in one layer of a file.

    Attributes
    ----------
    path : Path
        The file (or ``.gdb`` folder).
    layer_name : str or None
        The layer inside a multi-layer file; None when the file has one.
    driver : str
        The GDAL driver that read it.
    crs : str or None
        The CRS the file declares (e.g. ``EPSG:4551``); None when it declares none.
    features : int
        Number of polygonal features.
    columns : tuple of str
        Attribute columns.
    id_column, name_zh_column, name_en_column, area_column : str or None
        The columns that most likely hold an identifier, Chinese and English names, an area.
    ids : tuple of (str, str, str)
        Distinct values of ``id_column`` in file order, each with the Chinese and English
        names of its first feature (empty where there is no such column).
    encoding : str or None
        An encoding to declare, when the text reads as mis-decoded Chinese.
    """

    path: Path
    layer_name: str | None
    driver: str
    crs: str | None
    features: int
    columns: tuple[str, ...]
    id_column: str | None
    name_zh_column: str | None
    name_en_column: str | None
    area_column: str | None
    ids: tuple[tuple[str, str, str], ...]
    encoding: str | None


def inspect_file(path: str | Path, *, root: Path | None = None) -> list[LayerSummary]:
    """Inspect every polygon layer of a file.

    Parameters
    ----------
    path : str or Path
        A layer file (GeoPackage, Shapefile, GeoJSON, DXF, ``.gdb`` folder, …).
    root : Path, optional
        The folder the recipe will live in (zipped files are read only from inside it); the
        file's own folder when omitted.

    Returns
    -------
    list of LayerSummary
        One per layer holding polygons.

    Raises
    ------
    LayerError
        If the sandbox refuses the file or GDAL cannot read it.
    """
    import pyogrio

    from . import _gdal
    from .layers import _mis_decoded

    file = Path(path).resolve()
    root = root or file.parent
    gdal_path = _gdal.preflight(file, root=root)
    with _gdal.sandbox():
        names = [str(n) for n in pyogrio.list_layers(gdal_path)[:, 0]]
    summaries = []
    for name in names:
        layer = name if len(names) > 1 else None
        raw = _gdal.read_file(file, layer_name=layer, root=root)
        polygons = _polygons(raw.frame)
        if polygons is None:
            continue
        text = _text_columns(polygons)
        encoding = next(
            (
                codec
                for c in text
                for v in polygons[c].head(50)
                if (codec := _mis_decoded(str(v))) is not None
            ),
            None,
        )
        if encoding is not None:  # read again as the recipe will, so the values are right
            raw = _gdal.read_file(file, layer_name=layer, root=root, encoding=encoding)
            polygons = _polygons(raw.frame)
            if polygons is None:
                continue
            text = _text_columns(polygons)
        columns = tuple(str(c) for c in polygons.columns if c != polygons.geometry.name)
        id_column = _id_column(polygons, columns, text)
        name_zh = _name_column(polygons, text, chinese=True)
        name_en = _name_column(polygons, text, chinese=False)
        summaries.append(
            LayerSummary(
                path=file,
                layer_name=name if len(names) > 1 else None,
                driver=raw.driver,
                crs=polygons.crs.to_string() if polygons.crs is not None else None,
                features=len(polygons),
                columns=columns,
                id_column=id_column,
                name_zh_column=name_zh,
                name_en_column=name_en,
                area_column=_named(columns, _AREA_NAMES, numeric=polygons),
                ids=_ids(polygons, id_column, name_zh, name_en),
                encoding=encoding,
            )
        )
    return summaries


def _polygons(frame: Any) -> Any:
    if frame.geometry.name not in frame:
        return None
    polygons = frame[frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    return polygons if len(polygons) else None


def _text_columns(frame: Any) -> list[str]:
    columns = [c for c in frame.columns if c != frame.geometry.name]
    return [str(c) for c in columns if frame[c].map(lambda v: isinstance(v, str)).all()]


def _ids(
    frame: Any, id_column: str | None, name_zh: str | None, name_en: str | None
) -> tuple[tuple[str, str, str], ...]:
    if id_column is None:
        return ()
    first = frame.drop_duplicates(subset=id_column)
    return tuple(
        (
            str(row[id_column]),
            str(row[name_zh]) if name_zh else "",
            str(row[name_en]) if name_en else "",
        )
        for _, row in first.iterrows()
    )


def _named(columns: Sequence[str], wanted: Sequence[str], numeric: Any = None) -> str | None:
    lower = {c.lower(): c for c in columns}
    for name in wanted:
        column = lower.get(name)
        if column is None:
            continue
        if numeric is None or numeric[column].dtype.kind in "if":
            return column
    return None


def _id_column(frame: Any, columns: Sequence[str], text: Sequence[str]) -> str | None:
    named = _named(columns, _ID_NAMES)
    if named is not None:
        return named
    # Otherwise the first text column whose values tell the features apart.
    for column in text:
        if frame[column].nunique() == len(frame):
            return column
    return None


def _name_column(frame: Any, text: Sequence[str], *, chinese: bool) -> str | None:
    candidates = [c for c in text if c.lower() in _NAME_NAMES or "name" in c.lower()]
    for column in candidates:
        has_cjk = frame[column].map(lambda v: bool(_CJK.search(v))).mean() > 0.5
        if has_cjk == chinese:
            return column
    return None


def starter_toml(summaries: Sequence[LayerSummary], folder: Path) -> str:
    """Return a commented starter recipe for the inspected layers.

    Parameters
    ----------
    summaries : sequence of LayerSummary
        From :func:`inspect_file`.
    folder : Path
        The folder the recipe will be written into; layer paths are relative to it.

    Returns
    -------
    str
        TOML that :func:`autocity_gis.load_recipe` reads once the stated areas are filled in.
    """
    lines = [
        "# Starter recipe written by `autocity-gis init`. Fill in what only you know -- the",
        "# officially stated areas and where they were published -- then run",
        "#   autocity-gis validate --recipe <this file>",
        "",
        "[city]",
        'name_en = "My planning area"          # the composed area\'s name',
        'name_zh = ""',
        "# target_km2 = 0.0                     # REQUIRED: the officially stated total area",
        'target_source = ""                   # where that figure was published',
        "tolerance_pct = 1.0",
    ]
    used: set[str] = set()
    for summary in summaries:
        lines += ["", *_component_blocks(summary, folder, used)]
    return "\n".join(lines) + "\n"


def _component_blocks(summary: LayerSummary, folder: Path, used: set[str]) -> list[str]:
    rel = os.path.relpath(summary.path, folder)
    head = [
        f"# {_comment(rel)}"
        + (f", layer {_comment(summary.layer_name)}" if summary.layer_name else "")
        + f": {summary.features} polygon feature(s), read by GDAL's {summary.driver} driver; "
        f"CRS {summary.crs or 'not declared'}",
        f"# columns: {_comment(', '.join(summary.columns)) or 'none'}",
    ]
    if summary.area_column:
        head.append(
            f"# '{_comment(summary.area_column)}' looks like an area column: it holds the "
            "plane area in the file's CRS units, not a stated figure."
        )
    source = [f"layer = {_toml(rel)}"]
    if summary.layer_name:
        source.append(f"layer_name = {_toml(summary.layer_name)}")
    if summary.crs is None:
        source.append('# crs = "EPSG:…"                     # REQUIRED: the file declares no CRS')
    if summary.encoding:
        source.append(f"encoding = {_toml(summary.encoding)}")
    if not summary.id_column:
        stem = Path(rel).stem
        return [
            *head,
            "# no identifying column found: one component for the whole layer",
            *_block(_free_id(stem, used, stem), {"name_en": stem}, source, {}),
        ]
    if len(summary.ids) > ONE_BY_ONE:
        return [*head, *_layer_block(summary, source)]
    blocks = head
    for value, zh, en in summary.ids:
        names = {"name_en": en or value, "name_zh": zh}
        flt = {summary.id_column: value}
        blocks += _block(_free_id(value, used, Path(rel).stem), names, source, flt)
    return blocks


def _layer_block(summary: LayerSummary, source: list[str]) -> list[str]:
    """One block for the whole layer: a component per value of the id column."""
    assert summary.id_column is not None
    lines = [
        f"# {len(summary.ids)} values of '{_comment(summary.id_column)}': one block makes a "
        "component of each (features sharing a value are merged)",
        "[[components]]",
        *source,
        f"id_column = {_toml(summary.id_column)}",
    ]
    for key, column in (
        ("name_zh_column", summary.name_zh_column),
        ("name_en_column", summary.name_en_column),
    ):
        if column:
            lines.append(f"{key} = {_toml(column)}")
    lines += [
        '# stated_area_column = ""           # a column of published areas in km², if any',
        "",
    ]
    return lines


def _block(cid: str, names: dict[str, str], source: list[str], flt: dict[str, str]) -> list[str]:
    lines = [
        "[[components]]",
        f"id = {_toml(cid)}",
        *(f"{key} = {_toml(value)}" for key, value in names.items() if value),
        *source,
    ]
    if flt:
        inner = ", ".join(f"{_toml_key(k)} = {_toml(v)}" for k, v in flt.items())
        lines.append(f"filter = {{ {inner} }}")
    lines += [
        "# stated_area_km2 = 0.0               # the published area, if any",
        '# stated_area_source = ""',
        "",
    ]
    return lines


def _free_id(text: str, used: set[str], fallback: str) -> str:
    """Return a recipe id (a letter, then letters, digits, ``_`` or ``-``) unused so far.

    Values without Latin letters or digits (Chinese layer names) take ``fallback`` (the file's
    name) with a number.
    """

    def clean(value: str) -> str:
        return re.sub(r"[^A-Za-z0-9_-]+", "_", value).strip("_-")[:40]

    base = clean(text) or clean(fallback) or "component"
    if not base[0].isalpha():
        base = f"c_{base}"
    cid, n = base, 2
    while cid in used:
        cid, n = f"{base}_{n}", n + 1
    used.add(cid)
    return cid


def _toml(text: str) -> str:
    # A JSON string is a TOML basic string; lone surrogates cannot be written as UTF-8.
    return json.dumps(for_utf8(str(text)), ensure_ascii=False)


def _toml_key(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9_-]+", text) else _toml(text)


def _comment(text: str) -> str:
    # A comment ends at the line's end: nothing in it may start a new line.
    return for_terminal(text)


def write_starter(
    layers: Sequence[str | Path], target: str | Path = "autocity.toml"
) -> tuple[Path, list[LayerSummary]]:
    """Inspect ``layers`` and write a starter recipe to ``target`` (never over an existing file).

    Parameters
    ----------
    layers : sequence of str or Path
        Layer files, in the recipe's folder or below it.
    target : str or Path
        The recipe file to create.

    Returns
    -------
    tuple
        ``(target, summaries)``.

    Raises
    ------
    InputError
        If a layer lies outside the recipe's folder or cannot be read, or none holds polygons.
    OutputError
        If ``target`` exists (it is never replaced) or cannot be written.
    """
    target = Path(target)
    folder = target.resolve().parent
    summaries: list[LayerSummary] = []
    for layer in layers:
        path = Path(layer).resolve()
        if not path.is_relative_to(folder):
            raise InputError(
                f"{layer}: lies outside the recipe's folder {folder}; recipes read only files "
                "inside their folder, so copy it in or write the recipe higher up."
            )
        summaries += inspect_file(path, root=folder)
    if not summaries:
        raise InputError("none of the files holds polygons; name the files with the zones.")
    text = starter_toml(summaries, folder)
    try:
        # "x": created here or not at all, so an existing recipe is never replaced.
        with open(target, "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise OutputError(
            f"{target}: exists; autocity-gis never replaces it: choose another name with --out."
        ) from None
    except OSError as exc:
        raise OutputError(f"{target}: cannot be written ({exc.strerror}).") from exc
    return target, summaries
