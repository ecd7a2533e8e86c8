"""Stream a parcel layer in bounded batches: GeoParquet via pyarrow, other formats via GDAL.

A county's survey is 10⁵-10⁶ parcels and a province's 10⁷, so a layer is never read whole: a
GeoParquet file or a folder of them (one partitioned dataset) is read a record batch at a time
with pyarrow (only the class column and the geometry); any other format goes through pyogrio's
Arrow stream inside the GDAL sandbox (:mod:`autocity_gis._gdal`), with the layer's own spatial
index asked for the boundary's extent first (FlatGeobuf, GeoPackage). Geometries come out in
WGS 84 longitude/latitude; CGCS2000 (EPSG:4490) is taken as it is (centimetres apart).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from .._errors import CRSError, LayerError
from ._kernel import NO_CODE, normalise_codes

__all__ = ["decode", "geoparquet_info", "is_parquet", "iter_batches"]

#: (geometries or their WKB, class codes, transformer to WGS 84 still to apply)
Batch = tuple[NDArray[np.object_], NDArray[np.object_], "pyproj.Transformer | None"]
_LONLAT = {"EPSG:4326", "OGC:CRS84", "EPSG:4490"}


def shown(text: object, limit: int = 60) -> str:
    """Show user text (a path, a column name) on one printable line, shortened."""
    flat = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def is_parquet(path: Path) -> bool:
    """Whether the path is a GeoParquet file or a folder holding GeoParquet files."""
    if path.is_dir():
        return any(path.rglob("*.parquet"))
    return path.suffix.lower() in (".parquet", ".geoparquet")


def _lonlat_transformer(crs: Any, where: str) -> pyproj.Transformer | None:
    """Return a transformer to WGS 84 longitude/latitude, or None if the data are so."""
    if crs is None:
        return None
    try:
        src = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise CRSError(
            f"{shown(where, 120)}: the CRS '{shown(crs)}' is not one PROJ understands."
        ) from exc
    auth = src.to_authority()
    if auth is not None and f"{auth[0]}:{auth[1]}" in _LONLAT:
        return None
    return pyproj.Transformer.from_crs(src, "EPSG:4326", always_xy=True)


def _to_lonlat(geoms: NDArray[np.object_], tf: pyproj.Transformer | None) -> NDArray[np.object_]:
    if tf is None:
        return geoms

    def fwd(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.column_stack(tf.transform(xy[:, 0], xy[:, 1]))

    return np.asarray(shapely.transform(geoms, fwd), dtype=object)


def decode(raw: NDArray[np.object_], tf: pyproj.Transformer | None) -> NDArray[np.object_]:
    """Turn a batch's WKB (or geometries) into WGS 84 geometries.

    Run by the worker threads, not the reader: GEOS parses WKB and PROJ transforms there, so
    decoding runs on every core while the next batch is read.
    """
    if len(raw) and isinstance(raw[0], (bytes, bytearray, memoryview)):
        raw = np.asarray(shapely.from_wkb(raw), dtype=object)
    return _to_lonlat(raw, tf)


_NEEDS_PYARROW = "reading GeoParquet needs pyarrow; install it with pip install pyarrow"


def parquet_files(path: Path) -> list[Path]:
    """Return the GeoParquet files of a path: the file itself, or a folder's files by name."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*.parquet") if p.is_file())
    return [path]


def geoparquet_info(path: Path) -> tuple[str, Any, list[str]]:
    """Return a GeoParquet file's (or a folder's first file's) geometry column, CRS and columns.

    Raises
    ------
    LayerError
        If the file holds no GeoParquet ``geo`` metadata or cannot be read.
    """
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise LayerError(f"{shown(path, 120)}: {_NEEDS_PYARROW}.") from exc
    files = parquet_files(path)
    if not files:
        raise LayerError(f"{shown(path, 120)}: the folder holds no .parquet file.")
    try:
        schema = pq.read_schema(files[0])
    except Exception as exc:  # pyarrow raises several types for unreadable files
        raise LayerError(
            f"{shown(files[0], 120)}: cannot be read as GeoParquet ({shown(exc, 120)})."
        ) from exc
    meta = (schema.metadata or {}).get(b"geo")
    if meta is None:
        raise LayerError(
            f"{shown(files[0], 120)}: is Parquet without GeoParquet 'geo' metadata, so no "
            f"column is known to hold geometries (columns: "
            f"{', '.join(shown(n, 30) for n in schema.names[:12])})."
        )
    geo = json.loads(meta)
    column = geo["primary_column"]
    # GeoParquet: a missing crs means OGC:CRS84; an explicit null means unknown.
    crs = geo["columns"][column].get("crs", "OGC:CRS84")
    return column, crs, list(schema.names)


def _check_column(path: Any, column: str | None, names: list[str]) -> None:
    if column is not None and column not in names:
        listed = ", ".join(shown(n, 30) for n in names[:12])
        raise LayerError(
            f"{shown(path, 120)}: the class column '{shown(column)}' is not in the layer "
            f"(columns: {listed})."
        )


def _check_filter(path: Any, flt: Mapping[str, Any], names: list[str]) -> None:
    for column in flt:
        if column not in names:
            listed = ", ".join(shown(n, 30) for n in names[:12])
            raise LayerError(
                f"{shown(path, 120)}: the filter names attribute '{shown(column)}', which the "
                f"layer lacks (columns: {listed})."
            )


def filter_mask(values: Callable[[str], Any], flt: Mapping[str, Any]) -> NDArray[np.bool_] | None:
    """Rows matching every ``column = value(s)`` of a filter, compared as text (as for components).

    ``values(column)`` returns that column of the batch. None when there is no filter.
    """
    mask: NDArray[np.bool_] | None = None
    for column, wanted in flt.items():
        accepted = [str(v) for v in (wanted if isinstance(wanted, list) else [wanted])]
        matches = pd.Series(values(column)).astype(str).isin(accepted).to_numpy()
        mask = matches if mask is None else mask & matches
    return mask


def iter_batches(
    source: Any,
    class_column: str | None,
    *,
    envelope: tuple[float, float, float, float] | None,
    batch_rows: int,
    crs: Any = None,
    layer_name: str | None = None,
    flt: Mapping[str, Any] | None = None,
) -> Iterator[Batch]:
    """Yield (geometries or WKB, class codes, transformer) a batch at a time; see :func:`decode`.

    Parameters
    ----------
    source : GeoDataFrame, str or Path
        The parcels: a frame, a GeoParquet file or folder, or any layer file GDAL reads.
    class_column : str or None
        The column of class codes (None for a control layer: every code is empty).
    envelope : tuple or None
        Longitude/latitude box of the boundary and components; rows outside it are skipped
        by the reader where the format can (an index), and by the kernel's tree otherwise.
    batch_rows : int
        Rows per batch: the memory bound.
    crs : optional
        The layer's CRS when the file does not say (as a recipe's ``crs`` key).
    layer_name : str, optional
        The layer of a multi-layer file.
    flt : mapping, optional
        Attribute filter (column → value or list of values): only matching rows are yielded.

    Raises
    ------
    LayerError
        If the class column or a filter column is missing or the file cannot be read.
    """
    flt = dict(flt or {})
    if isinstance(source, gpd.GeoDataFrame):
        yield from _frame_batches(source, class_column, envelope, batch_rows, crs, flt)
        return
    path = Path(source)
    if is_parquet(path):
        yield from _parquet_batches(path, class_column, batch_rows, crs, flt)
    else:
        yield from _gdal_batches(path, class_column, envelope, batch_rows, crs, layer_name, flt)


def _codes(values: Any, n: int) -> NDArray[np.object_]:
    if values is None:
        return np.full(n, NO_CODE, dtype=object)
    return normalise_codes(values)


def _frame_batches(
    frame: gpd.GeoDataFrame,
    class_column: str | None,
    envelope: tuple[float, float, float, float] | None,
    batch_rows: int,
    crs: Any,
    flt: Mapping[str, Any],
) -> Iterator[Batch]:
    _check_column("the parcel frame", class_column, list(frame.columns))
    _check_filter("the parcel frame", flt, list(frame.columns))
    mask = filter_mask(frame.__getitem__, flt)
    if mask is not None:
        frame = frame.loc[mask]
    tf = _lonlat_transformer(frame.crs if frame.crs is not None else crs, "the parcel frame")
    geoms_all = np.asarray(frame.geometry.array, dtype=object)
    codes_all = _codes(None if class_column is None else frame[class_column], len(frame))
    for start in range(0, len(frame), batch_rows):
        geoms = _to_lonlat(geoms_all[start : start + batch_rows], tf)
        codes = codes_all[start : start + batch_rows]
        if envelope is not None:
            b = shapely.bounds(geoms)
            keep = ~(
                (b[:, 2] < envelope[0])
                | (b[:, 0] > envelope[2])
                | (b[:, 3] < envelope[1])
                | (b[:, 1] > envelope[3])
            )
            geoms, codes = geoms[keep], codes[keep]
        yield geoms, codes, None


def _parquet_batches(
    path: Path, class_column: str | None, batch_rows: int, crs: Any, flt: Mapping[str, Any]
) -> Iterator[Batch]:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise LayerError(f"{shown(path, 120)}: {_NEEDS_PYARROW}.") from exc
    for file in parquet_files(path):
        # Each file says its own geometry column and CRS (counties may differ).
        column, file_crs, names = geoparquet_info(file)
        _check_column(file, class_column, names)
        _check_filter(file, flt, names)
        tf = _lonlat_transformer(file_crs if file_crs is not None else crs, str(file))
        columns = list(dict.fromkeys([c for c in (class_column, column) if c] + list(flt)))
        # No pre-buffering and a 1 MB read buffer: one batch in memory at a time, so the peak
        # stays flat in the parcel count (a dataset scanner reads ahead whole row groups).
        reader = pq.ParquetFile(file, pre_buffer=False, buffer_size=1 << 20)
        for batch in reader.iter_batches(batch_size=batch_rows, columns=columns):
            yield _arrow_batch(batch, column, class_column, flt, tf)


def _gdal_batches(
    path: Path,
    class_column: str | None,
    envelope: tuple[float, float, float, float] | None,
    batch_rows: int,
    crs: Any,
    layer_name: str | None,
    flt: Mapping[str, Any],
) -> Iterator[Batch]:
    import pyogrio

    from .. import _gdal

    gdal_path = _gdal.preflight(path, root=None)
    info = pyogrio.read_info(gdal_path, layer=layer_name)
    _check_column(path, class_column, list(info["fields"]))
    _check_filter(path, flt, list(info["fields"]))
    layer_crs = info["crs"] if info["crs"] is not None else crs
    tf = _lonlat_transformer(layer_crs, str(path))
    bbox = None
    if envelope is not None:
        bbox = envelope
        if tf is not None:
            # The extent filter runs in the layer's own CRS.
            back = pyproj.Transformer.from_crs("EPSG:4326", layer_crs, always_xy=True)
            bbox = back.transform_bounds(*envelope, densify_pts=21)
    columns = list(dict.fromkeys(([class_column] if class_column else []) + list(flt)))
    if not _has_pyarrow():
        # Without pyarrow (the base install) the layer is read in one piece, still limited to
        # the site's extent by the format's index.
        with _gdal.sandbox():
            frame = pyogrio.read_dataframe(
                gdal_path, layer=layer_name, columns=columns, bbox=bbox, use_arrow=False
            )
        if frame.crs is None and layer_crs is not None:
            frame = frame.set_crs(layer_crs)
        yield from _frame_batches(frame, class_column, None, batch_rows, crs, flt)
        return
    with (
        _gdal.sandbox(),
        pyogrio.open_arrow(
            gdal_path,
            layer=layer_name,
            columns=columns,
            bbox=bbox,
            batch_size=batch_rows,
            use_pyarrow=True,
        ) as (meta, reader),
    ):
        geom_col = meta["geometry_name"] or "wkb_geometry"
        for batch in reader:
            yield _arrow_batch(batch, geom_col, class_column, flt, tf)


def _arrow_batch(
    batch: Any, geom_col: str, class_column: str | None, flt: Mapping[str, Any], tf: Any
) -> Batch:
    wkb = batch.column(geom_col).to_numpy(zero_copy_only=False)
    values = None if class_column is None else batch.column(class_column).to_pandas()
    codes = _codes(values, len(wkb))
    mask = filter_mask(lambda c: batch.column(c).to_pandas(), flt)
    if mask is not None:
        wkb, codes = wkb[mask], codes[mask]
    return wkb, codes, tf
