"""The Dask engine: the same kernel over the partitions of a GeoParquet dataset.

dask-geopandas reads a folder of GeoParquet files (one partition per file or row group); each
partition runs :func:`._kernel.chunk_areas` on a worker and returns a few rows of (scope, code,
km²), so the client receives kilobytes whatever the parcel count, and the totals equal the
single-machine engine's to round-off. With no scheduler given, a local cluster of two worker
processes runs for the call; ``scheduler`` may be an address (``tcp://host:8786``) of an existing
``dask.distributed`` cluster or a :class:`distributed.Client`. Installed with the ``dask`` extra.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._errors import InputError
from ._kernel import NO_CODE, Scopes, _empty, chunk_areas, normalise_codes
from ._read import (
    _check_column,
    _check_filter,
    _lonlat_transformer,
    _to_lonlat,
    filter_mask,
    geoparquet_info,
    is_parquet,
    shown,
)

__all__ = ["dask_partials"]


def _partition(
    frame: Any, class_column: str, scopes: Scopes, crs: Any, flt: dict[str, Any]
) -> pd.DataFrame:
    mask = filter_mask(frame.__getitem__, flt)
    if mask is not None:
        frame = frame.loc[mask]
    if len(frame) == 0:
        return _empty()
    geoms = np.asarray(frame.geometry.array, dtype=object)
    geoms = _to_lonlat(geoms, _lonlat_transformer(crs, "a partition"))
    codes = normalise_codes(frame[class_column]) if class_column else np.full(len(frame), NO_CODE)
    # A worker runs several partitions at once on its threads: each gets its own prepared copy.
    return chunk_areas(geoms, codes, scopes.copy())


def _count(frame: Any, flt: dict[str, Any]) -> int:
    mask = filter_mask(frame.__getitem__, flt)
    return len(frame) if mask is None else int(mask.sum())


def dask_partials(
    source: Any,
    class_column: str,
    scopes: Scopes,
    *,
    scheduler: Any = None,
    crs: Any = None,
    flt: Mapping[str, Any] | None = None,
) -> tuple[list[pd.DataFrame], int]:
    """Run the kernel over every partition on a Dask cluster; return the partial tables."""
    try:
        import dask_geopandas
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise InputError(
            "The dask engine needs dask-geopandas and distributed; install them with "
            "pip install 'autocity-gis[dask]'."
        ) from exc
    path = Path(source) if not hasattr(source, "geometry") else None
    if path is None or not is_parquet(path):
        raise InputError(
            f"The dask engine reads a GeoParquet file or a folder of them; '{shown(source)}' is "
            "not one (write it with GeoDataFrame.to_parquet, one file per county)."
        )
    column, file_crs, names = geoparquet_info(path)
    _check_column(path, class_column, names)
    flt = dict(flt or {})
    _check_filter(path, flt, names)
    columns = list(dict.fromkeys([class_column, column, *flt]))
    ddf = dask_geopandas.read_parquet(str(path), columns=columns)
    layer_crs = file_crs if file_crs is not None else crs
    if ddf.spatial_partitions is not None:
        minx, miny, maxx, maxy = scopes.envelope
        ddf = ddf.cx[minx:maxx, miny:maxy]
    parts = ddf.map_partitions(_partition, class_column, scopes, layer_crs, flt, meta=_empty())
    counts = ddf.map_partitions(_count, flt, meta=(None, "int64"))
    owned: list[Any] = []
    if scheduler is None:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0")
        client = Client(cluster)
        owned = [client, cluster]
    elif isinstance(scheduler, Client):
        client = scheduler
    else:
        client = Client(str(scheduler))
        owned = [client]
    try:
        frame, sizes = client.compute([parts, counts], sync=True)
    finally:
        for thing in owned:
            thing.close()
    return [frame], int(np.sum(sizes))
