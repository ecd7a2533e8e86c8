"""Reading a layer's rows: through the GDAL sandbox, within the limits, decoded, filtered.

This module owns the first half of loading a layer: the read itself (once per file and run,
:class:`ReadCache`, through :mod:`autocity_gis._gdal`), the size limits, the detection of text
attributes decoded in the wrong encoding, and the recipe's attribute filter
(:func:`selected_rows`). Every refusal is a :class:`~autocity_gis._errors.LayerError` naming
the file and the feature. Re-exported by :mod:`autocity_gis.layers`.
"""

from __future__ import annotations

import re
import warnings as pywarnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from . import _gdal
from ._errors import LayerError
from .limits import Limits
from .limits import current as current_limits
from .recipe import LayerSource

Progress = Callable[[str], None]

#: pandas 3 always copies on write: a slice of the shared read can be handed out as is.
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class ReadCache:
    """The layers read during one run, so that each file is read once.

    Keyed by ``(path, layer_name, encoding)``: what GDAL's read depends on (a recipe's
    ``crs``, ``datum``, ``towgs84`` and ``filter`` are applied to the frame afterwards, so
    components that share a file share its read whatever those say). The frames are shared:
    every user copies before changing them.

    Parameters
    ----------
    reads : dict, optional
        The store to fill and reuse (e.g. :attr:`autocity_gis.recipe.Recipe.reads`, the
        layers a recipe read for its whole-layer blocks); a new one when omitted.
    """

    def __init__(self, reads: dict[Any, Any] | None = None) -> None:
        self.reads: dict[Any, Any] = reads if reads is not None else {}

    def read(
        self, source: LayerSource, limits: Limits, progress: Progress | None
    ) -> _gdal.RawLayer:
        """Return the raw read of ``source``'s file, reading it only the first time."""
        key = self.key(source)
        found = self.reads.get(key)
        if found is None:
            found = _gdal.read_file(
                source.path,
                layer_name=source.layer_name,
                encoding=source.encoding,
                root=source.root,
                limits=limits,
                progress=progress,
            )
            self.reads[key] = found
        return found

    @staticmethod
    def key(source: LayerSource) -> tuple[str, str | None, str | None]:
        """Return what a read of ``source`` depends on: its file, layer and encoding."""
        return (str(source.path), source.layer_name, source.encoding)

    def forget(self, source: LayerSource) -> None:
        """Drop the read of ``source``'s file and what was built from it (checks, indexes)."""
        key = self.key(source)
        for entry in list(self.reads):
            if entry == key or (isinstance(entry, tuple) and len(entry) == 3 and entry[1] == key):
                del self.reads[entry]

    def checked(self, source: LayerSource, limits: Limits) -> bool:
        """Return whether the read of ``source`` already passed the whole-layer checks."""
        return ("checked", self.key(source), limits) in self.reads

    def mark_checked(self, source: LayerSource, limits: Limits) -> None:
        """Note that the read of ``source`` passed the whole-layer checks within ``limits``."""
        self.reads["checked", self.key(source), limits] = True

    def positions(self, source: LayerSource, frame: gpd.GeoDataFrame, column: str) -> Any:
        """Return ``column``'s values as text → the row positions holding each, built once.

        The filter of every component fed by the file looks its values up here, so that
        selecting rows costs the rows selected, not a scan of the whole layer.
        """
        key = ("positions", self.key(source), column)
        found = self.reads.get(key)
        if found is None:
            found = _positions(frame[column])
            self.reads[key] = found
        return found


def _positions(column: pd.Series) -> dict[str, Any]:
    """Group the row positions of a column by its values as text (``astype(str)``)."""
    codes, uniques = pd.factorize(column.astype(str))
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return {str(value): order[bounds[i] : bounds[i + 1]] for i, value in enumerate(uniques)}


def selected_rows(
    source: LayerSource, *, cache: ReadCache | None = None, limits: Limits | None = None
) -> gpd.GeoDataFrame:
    """Read a layer and return the features its filter selects, as read (no CRS work).

    What a whole-layer block needs to know its values; the checks are those of
    :func:`read_layer` up to the filter (sizes, encoding, the filter's values).

    Raises
    ------
    LayerError
        As :func:`read_layer` for a file that cannot be read, a mis-decoded text attribute or
        a filter that selects nothing.
    """
    frame, _notes = _selected(source, cache, current_limits(limits), None)
    return frame


def _selected(
    source: LayerSource, cache: ReadCache | None, limits: Limits, progress: Progress | None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    if source.frame is not None:
        frame = _from_frame(source)
        _check_whole(frame, source, limits, "UTF-8")
        return _select(frame, source), []
    cache = cache or ReadCache()
    frame, notes, declared = _read(source, limits, progress, cache)
    # The whole-layer checks depend on the read alone: once per file however many
    # components it feeds (a failure is not kept: the next component raises it again).
    if not cache.checked(source, limits):
        _check_whole(frame, source, limits, declared)
        cache.mark_checked(source, limits)
    return _select(frame, source, cache), notes


def _check_whole(frame: Any, source: LayerSource, limits: Limits, declared: str | None) -> None:
    """Check what a read holds as a whole: a geometry column, features, sizes, encoding."""
    path = source.path
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
        raise LayerError(f"{path}: has no geometry column.")
    if len(frame) == 0:
        which = f"layer '{source.layer_name}'" if source.layer_name else "the layer"
        raise LayerError(f"{path}: {which} is empty (it has no features).")
    _check_sizes(frame, path, limits)
    if source.encoding is None and source.frame is None:
        _check_encoding(frame, source, declared)


def _from_frame(source: LayerSource) -> gpd.GeoDataFrame:
    """Return a frame given in Python as a read would (a copy: the caller's is untouched)."""
    frame = source.frame
    try:
        frame.geometry  # noqa: B018 - raises when no geometry column is set
    except AttributeError as exc:
        raise LayerError(f"{source.path}: has no geometry column.") from exc
    if not frame.index.is_unique:  # features are named by their index in messages
        frame = frame.reset_index(drop=True)
    return frame.copy()


def feature_label(path: Path, frame: gpd.GeoDataFrame, index: object) -> str:
    """Name a feature for an error message: file, row and an identifying attribute."""
    row = frame.loc[index]
    for col in ("id", "name_en", "name", "name_zh", "NAME"):
        if col in frame.columns and isinstance(row[col], str) and row[col]:
            return f"{path.name}, feature {index} ({col}={_short(row[col])!r})"
    return f"{path.name}, feature {index}"


def _short(text: str, limit: int = 60) -> str:
    # Error messages are one line: attribute values are cut short and lose their line breaks.
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _read(
    source: LayerSource, limits: Limits, progress: Progress | None, cache: ReadCache
) -> tuple[Any, list[str], str | None]:
    try:
        raw = cache.read(source, limits, progress)
    except UnicodeDecodeError as exc:
        raise _undecodable(source, exc) from exc
    return raw.frame, list(raw.notes), raw.encoding


def _undecodable(source: LayerSource, exc: UnicodeDecodeError) -> LayerError:
    """Name the feature and attribute whose text is not in the expected encoding."""
    path = source.path
    expected = source.encoding or "UTF-8"
    fix = (
        'add encoding = "GBK" (or whatever the file was saved in) to its recipe entry'
        if source.encoding is None
        else "check the encoding in its recipe entry"
    )
    try:
        # Latin-1 decodes every byte: the values come back intact, to be tested one by one.
        with _gdal.sandbox(), pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore")
            frame = pyogrio.read_dataframe(
                _gdal.preflight(path, root=source.root),
                layer=source.layer_name,
                encoding="latin-1",
                read_geometry=False,
            )
    except Exception:  # the first error is the one to report
        frame = None
    if frame is not None:
        for column in frame.columns:
            for index, value in frame[column].items():
                if not isinstance(value, str):
                    continue
                try:
                    value.encode("latin-1").decode(expected)
                except (UnicodeError, LookupError) as bad:
                    if not isinstance(bad, UnicodeDecodeError):
                        continue
                    byte = bad.object[bad.start : bad.start + 1]
                    return LayerError(
                        f"{path}, feature {index}: attribute '{_short(str(column))}' is not "
                        f"{expected} text (byte {byte!r} at {bad.start} cannot be decoded); "
                        f"{fix}."
                    )
    return LayerError(
        f"{path}: the text attributes are not {expected} (byte "
        f"{exc.object[exc.start : exc.start + 1]!r} at {exc.start} cannot be decoded); {fix}."
    )


def _check_sizes(frame: gpd.GeoDataFrame, path: Path, limits: Limits) -> None:
    vertices = int(shapely.get_num_coordinates(frame.geometry.to_numpy()).sum())
    if vertices > limits.max_vertices:
        raise LayerError(f"{path}: " + limits.exceeded("max_vertices", "vertices", vertices))
    for column in frame.columns:
        dtype = frame[column].dtype
        if column == frame.geometry.name or not (
            pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
        ):
            continue
        lengths = frame[column].map(lambda v: len(v) if isinstance(v, str) else 0)
        if len(lengths) and int(lengths.max()) > limits.max_text_chars:
            index = lengths.idxmax()
            raise LayerError(
                f"{path}, feature {index}: attribute '{_short(str(column))}' "
                + limits.exceeded("max_text_chars", "characters", int(lengths.max()))
            )


def _mis_decoded(value: str) -> str | None:
    """Return the encoding that turns a Latin-1-decoded text back into Chinese, if any."""
    high = [c for c in value if ord(c) > 0x7F]
    if len(high) < 4 or any(ord(c) > 0xFF for c in high):
        return None  # a Chinese name is two characters or more: four bytes or more
    raw = value.encode("latin-1")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _all_cjk(text):
            return "UTF-8"
    # Common GBK characters are two bytes from 0xA1 up, so they come in even runs of such
    # bytes; accented Latin (Zürich, Crème brûlée) nearly never does.
    runs = re.findall(r"[\x80-\xff]+", value)
    if all(len(r) % 2 == 0 and min(r) >= "\xa1" for r in runs):
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            return None
        if _all_cjk(text):
            return "GBK"
    return None


def _all_cjk(text: str) -> bool:
    wide = [c for c in text if ord(c) > 0x7F]
    return bool(wide) and all(_CJK.match(c) or c in "（）《》，、·" for c in wide)


def _check_encoding(frame: gpd.GeoDataFrame, source: LayerSource, declared: str | None) -> None:
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        for index, value in frame[column].items():
            if not isinstance(value, str):
                continue
            codec = _mis_decoded(value)
            if codec is None:
                continue
            if declared and declared.upper().replace("-", "") == "UTF8":
                return  # a UTF-8 format: the text is what the file holds
            fixed = value.encode("latin-1").decode("gb18030" if codec == "GBK" else "utf-8")
            raise LayerError(
                f"{source.path.name}, feature {index}: attribute '{column}' reads as "
                f"{_short(value)!r}, which is {codec} text decoded as {declared or 'Latin-1'} "
                f'({_short(fixed)!r}); add encoding = "{codec}" to its recipe entry.'
            )


def _select(
    frame: gpd.GeoDataFrame, source: LayerSource, cache: ReadCache | None = None
) -> gpd.GeoDataFrame:
    if cache is not None and source.filter and all(c in frame.columns for c in source.filter):
        chosen = _chosen(frame, source, cache)
        if chosen is not None:
            if _COPY_ON_WRITE and chosen[-1] - chosen[0] == len(chosen) - 1:
                # Consecutive rows (one feature, often): a slice, which copy-on-write keeps
                # from ever changing the shared read; 40 us against 100 for a take.
                return frame.iloc[int(chosen[0]) : int(chosen[-1]) + 1]
            return frame.iloc[chosen]  # taking rows by position copies them
    mask = np.ones(len(frame), dtype=bool)
    for column, wanted in source.filter.items():
        if column not in frame.columns:
            have = ", ".join(c for c in frame.columns if c != frame.geometry.name) or "none"
            raise LayerError(
                f"{source.path}: the filter names attribute '{column}', which the layer lacks "
                f"(it has: {_short(have, 200)})."
            )
        values = [str(v) for v in (wanted if isinstance(wanted, list) else [wanted])]
        matches = frame[column].astype(str).isin(values).to_numpy()
        if not matches.any():
            raise LayerError(
                f"{source.path}: no feature matches the filter {column} = "
                f"{_shown_values(values)} (values of '{column}' in the layer: "
                f"{_present(frame[column])})."
            )
        mask &= matches
    if not mask.any():
        shown = ", ".join(f"{k} = {v!r}" for k, v in source.filter.items())
        raise LayerError(
            f"{source.path}: no feature matches all of the filter {_short(shown, 200)} (each "
            "value occurs, but never together)."
        )
    return frame.loc[mask].copy()


def _chosen(frame: gpd.GeoDataFrame, source: LayerSource, cache: ReadCache) -> Any:
    """Return the positions of the rows the filter selects, in file order, by lookup.

    None when some value matches nothing: :func:`_select`'s scan then names the problem.
    """
    chosen: Any = None
    for column, wanted in source.filter.items():
        groups = cache.positions(source, frame, column)
        values = [str(v) for v in (wanted if isinstance(wanted, list) else [wanted])]
        found = [groups[v] for v in dict.fromkeys(values) if v in groups]
        if not found:
            return None
        rows = np.unique(np.concatenate(found))
        chosen = rows if chosen is None else np.intersect1d(chosen, rows)
    if chosen is None or len(chosen) == 0:
        return None
    return chosen


def _shown_values(values: list[str]) -> str:
    shown = " or ".join(repr(_short(v, 40)) for v in values[:5])
    return shown + (f" (and {len(values) - 5} more)" if len(values) > 5 else "")


def _present(column: Any, count: int = 30) -> str:
    """Return up to a few dozen distinct values of a column, for an error message."""
    distinct = list(dict.fromkeys(str(v) for v in column.tolist()))
    shown = ", ".join(repr(_short(v, 40)) for v in distinct[:count])
    more = len(distinct) - count
    return shown + (f", … ({more} more)" if more > 0 else "")
