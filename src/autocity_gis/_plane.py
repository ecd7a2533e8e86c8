"""Plane areas: what CAD ``AREA`` and ArcGIS ``Shape_Area`` show, beside the geodesic reference.

The check measures on the WGS 84 ellipsoid; planners compare with plane areas in a layer's own
projected CRS or in the CGCS2000 3-degree Gauss–Krüger zone of the data. This module finds that
zone, measures a geometry in a projected CRS and says in one line why the two differ.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

#: EPSG code of the CGCS2000 3-degree Gauss–Krüger zone with central meridian 75°E (the
#: CM-only family runs 4534 … 4554 for 75°E … 135°E, eastings without the zone prefix).
_GK3_FIRST_EPSG = 4534
_GK3_FIRST_CM = 75
_GK3_LAST_CM = 135
#: Mean Earth radius used to explain the Gauss–Krüger scale (metres).
_EARTH_RADIUS_M = 6_371_000.0


def gauss_kruger_zone(lon: float) -> tuple[str, float] | None:
    """Return the CGCS2000 3-degree Gauss–Krüger zone (CM-only EPSG code) for a longitude.

    The zone whose central meridian (a multiple of 3°) is nearest; None outside China's
    zones (75°E … 135°E).

    >>> gauss_kruger_zone(125.2)
    ('EPSG:4551', 126.0)
    """
    if not math.isfinite(lon):
        return None
    cm = 3 * round(lon / 3.0)
    if not _GK3_FIRST_CM <= cm <= _GK3_LAST_CM:
        return None
    return f"EPSG:{_GK3_FIRST_EPSG + (cm - _GK3_FIRST_CM) // 3}", float(cm)


def plane_area_km2(geom: BaseGeometry, crs: str) -> float | None:
    """Return the Cartesian area of a WGS 84 geometry projected into ``crs``.

    None when ``crs`` is not a projected CRS or the projection fails.
    """
    import numpy as np
    import pyproj

    to_plane = _to_plane(crs)
    if to_plane is None:
        return None
    try:
        area = (
            shapely.area(
                shapely.transform(geom, lambda xy: np.column_stack(to_plane.transform(*xy.T)))
            )
            / 1e6
        )
    except (pyproj.exceptions.ProjError, ValueError):
        return None
    return float(area) if math.isfinite(area) else None


def plane_areas_km2(geoms: Any, crs: str) -> list[float | None]:
    """Return :func:`plane_area_km2` of each geometry of an array, in one projection call.

    The same figures as one call per geometry (the projection is point by point), without a
    PROJ call and a Python callback per geometry; a batch that fails is measured geometry by
    geometry, so that only the geometries that fail are None.
    """
    import numpy as np
    import pyproj

    geoms = np.asarray(geoms, dtype=object)
    to_plane = _to_plane(crs)
    if to_plane is None:
        return [None] * len(geoms)
    try:
        areas = shapely.area(
            shapely.transform(geoms, lambda xy: np.column_stack(to_plane.transform(*xy.T)))
        )
    except (pyproj.exceptions.ProjError, ValueError):
        return [plane_area_km2(g, crs) for g in geoms]
    return [float(a) / 1e6 if math.isfinite(a / 1e6) else None for a in areas.tolist()]


_PER_THREAD = threading.local()


def _to_plane(crs: str) -> Any:
    """Return the transformer from WGS 84 to a projected ``crs`` (None if not projected).

    Cached per thread: a whole-layer block makes hundreds of components in one CRS, and each
    look-up in the CRS database costs ~30 ms; batch builds run in threads, and a transformer
    is not to be shared between them. A Gauss–Krüger zone (CGCS2000) or any WGS 84 projection
    is the projection alone, as a PROJ pipeline (:func:`autocity_gis._proj.lonlat_to`): the
    same areas to the last bit, 0.2 ms instead of the database's 35-40 ms at every build.
    """
    import pyproj

    from ._proj import lonlat_to

    cache: dict[str, Any] = _PER_THREAD.__dict__.setdefault("to_plane", {})
    if crs not in cache:
        try:
            target = pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError:
            target = None
        # lonlat_to's own cache is shared between threads; this one is per thread.
        cache[crs] = (
            lonlat_to.__wrapped__(target)
            if target is not None and target.is_projected
            else None
        )
    return cache[crs]


def plane_note(geom: BaseGeometry, gk: tuple[str, float] | None) -> str:
    """One line: why the Gauss–Krüger plane area differs from the geodesic one."""
    if gk is None:
        return ""
    centroid = geom.centroid
    off_km = (
        abs(centroid.x - gk[1]) * 111.32 * math.cos(math.radians(centroid.y))
    )  # east–west distance from the central meridian
    grow = ((1 + (off_km * 1000 / _EARTH_RADIUS_M) ** 2 / 2) ** 2 - 1) * 100
    return (
        f"Plane areas in a Gauss–Krüger zone are larger than the geodesic area by about "
        f"(distance from the central meridian / Earth radius)²: {off_km:.0f} km from "
        f"{gk[1]:g}°E gives +{grow:.3f} %; a layer's own projected CRS distorts in its own way."
    )
