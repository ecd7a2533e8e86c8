"""The per-chunk computation both engines share: parcels cut by the boundary and components.

A chunk is an array of parcel geometries (WGS 84 longitude/latitude) and their class codes.
For every *scope* -- index 0 the composed boundary, then each component -- the parcels that
intersect it are found with one STRtree query per chunk (the scopes are prepared, so the exact
test is cheap); parcels the scope covers are measured whole, without cutting, and only those
crossing its edge are cut (``shapely.intersection``, vectorised). Areas are geodesic
(:func:`autocity_gis.area.fast_geodesic_area_km2`, the check's reference to 1e-9). The result is
a small table of (scope, code, km²) sums, so partial results from chunks, threads or Dask
partitions add up to the same totals in any order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from ..area import fast_geodesic_area_km2

__all__ = ["NO_CODE", "Scopes", "chunk_areas", "normalise_codes"]

#: The code recorded for parcels whose class cell is empty or missing.
NO_CODE = ""


@dataclass(frozen=True)
class Scopes:
    """The areas parcels are accounted in: index 0 the boundary, then the components.

    Attributes
    ----------
    ids : tuple of str
        ``""`` for the boundary, then the component ids.
    geoms : numpy.ndarray
        The scope geometries (object array), prepared for repeated predicates.
    """

    ids: tuple[str, ...]
    geoms: NDArray[np.object_]

    @classmethod
    def build(cls, boundary: shapely.Geometry, components: Sequence[tuple[str, Any]]) -> Scopes:
        """Assemble and prepare the scopes from the composed boundary and its components."""
        geoms = np.array([boundary, *(g for _, g in components)], dtype=object)
        geoms = shapely.make_valid(geoms)
        shapely.prepare(geoms)
        return cls(ids=("", *(str(i) for i, _ in components)), geoms=geoms)

    @property
    def envelope(self) -> tuple[float, float, float, float]:
        """The bounding box of every scope together (minx, miny, maxx, maxy)."""
        b = shapely.bounds(self.geoms)
        return (
            float(np.nanmin(b[:, 0])),
            float(np.nanmin(b[:, 1])),
            float(np.nanmax(b[:, 2])),
            float(np.nanmax(b[:, 3])),
        )

    def copy(self) -> Scopes:
        """Return a copy with its own prepared geometries, for use on another thread.

        GEOS builds a prepared geometry's indexes lazily on first use, and two threads doing
        so at once crash the process (seen with Dask's threaded workers).
        """
        return _rebuild(self.ids, shapely.to_wkb(self.geoms))

    def __reduce__(self) -> tuple[Any, ...]:
        # Prepared geometries do not pickle their index; Dask workers rebuild it.
        return (_rebuild, (self.ids, shapely.to_wkb(self.geoms)))


def _rebuild(ids: tuple[str, ...], wkb: NDArray[np.object_]) -> Scopes:
    geoms = shapely.from_wkb(wkb)
    shapely.prepare(geoms)
    return Scopes(ids=ids, geoms=geoms)


def normalise_codes(values: Any) -> NDArray[np.object_]:
    """Turn a class column into code strings; empty and missing cells become :data:`NO_CODE`.

    A numeric column has lost the leading zero of codes 01-09 (``101`` for ``0101``), so
    integers are padded with one zero to an even number of digits, as every code in both
    standards has.

    Examples
    --------
    >>> normalise_codes(pd.Series([101, 1203, None])).tolist()
    ['0101', '1203', '']
    >>> normalise_codes(pd.Series([" 0101 ", "05H1", None])).tolist()
    ['0101', '05H1', '']
    """
    series = pd.Series(values)
    out = np.full(len(series), NO_CODE, dtype=object)
    present = series.notna().to_numpy()
    if pd.api.types.is_numeric_dtype(series.dtype):
        nums = series[present].astype(np.int64).astype(str).to_numpy(dtype=object)
        out[present] = [s if len(s) % 2 == 0 else "0" + s for s in nums]
        return out
    out[present] = [str(v).strip() for v in series[present]]
    return out


def chunk_areas(
    geoms: NDArray[np.object_], codes: NDArray[np.object_], scopes: Scopes
) -> pd.DataFrame:
    """Geodesic area of one chunk of parcels inside each scope, summed by class code.

    Parameters
    ----------
    geoms : numpy.ndarray
        Parcel geometries in longitude/latitude degrees (missing or empty ones are skipped).
    codes : numpy.ndarray
        Their class codes, from :func:`normalise_codes`.
    scopes : Scopes
        The boundary and the components.

    Returns
    -------
    pandas.DataFrame
        Columns ``scope`` (int, index into ``scopes.ids``), ``code`` (str) and ``area_km2``.
    """
    geoms = np.asarray(geoms, dtype=object)
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not usable.all():
        geoms, codes = geoms[usable], np.asarray(codes, dtype=object)[usable]
    if len(geoms) == 0:
        return _empty()
    tree = shapely.STRtree(geoms)
    # Pairs (scope, parcel) that touch at all, then those the scope covers: both queries test
    # against the prepared scope, so the cost is in the few parcels on a scope's edge.
    touching = tree.query(scopes.geoms, predicate="intersects")
    covered = tree.query(scopes.geoms, predicate="covers")
    n = len(geoms)
    touch_key = touching[0].astype(np.int64) * n + touching[1]
    cover_key = covered[0].astype(np.int64) * n + covered[1]
    cut = ~np.isin(touch_key, cover_key, assume_unique=True)
    s_cut, p_cut = touching[0][cut], touching[1][cut]
    if covered.shape[1]:
        # A parcel inside a component is inside the boundary too: measure it once.
        uniq, inverse = np.unique(covered[1], return_inverse=True)
        whole_area = fast_geodesic_area_km2(geoms[uniq])[inverse]
    else:
        whole_area = np.empty(0)
    if len(p_cut):
        pieces = shapely.intersection(geoms[p_cut], scopes.geoms[s_cut])
        cut_area = fast_geodesic_area_km2(pieces)
    else:
        cut_area = np.empty(0)
    frame = pd.DataFrame(
        {
            "scope": np.concatenate([covered[0], s_cut]).astype(np.int64),
            "code": np.concatenate([codes[covered[1]], codes[p_cut]]).astype(object),
            "area_km2": np.concatenate([whole_area, cut_area]),
        }
    )
    return frame.groupby(["scope", "code"], as_index=False, sort=True)["area_km2"].sum()


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scope": np.empty(0, dtype=np.int64),
            "code": np.empty(0, dtype=object),
            "area_km2": np.empty(0),
        }
    )


def combine(parts: Sequence[pd.DataFrame]) -> dict[tuple[int, str], float]:
    """Add up partial tables from chunks into one total per (scope, code)."""
    frames = [p for p in parts if len(p)]
    if not frames:
        return {}
    total = pd.concat(frames, ignore_index=True).groupby(["scope", "code"], sort=True)
    summed = total["area_km2"].sum()
    return {(int(s), str(c)): float(v) for (s, c), v in summed.items()}
