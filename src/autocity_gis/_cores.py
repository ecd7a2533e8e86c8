"""Array work split over two cores: the halves of a large geometry array on two threads.

GEOS and PROJ release the GIL, so a vectorised call on a large array runs as fast as its
slower half when the halves (split by vertex count, not by geometry count) run on two
threads. Below :data:`THREADED_VERTICES` a thread costs more than it saves.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import shapely

__all__ = ["THREADED_VERTICES", "on_two_cores"]

#: Below this many vertices an array is processed on one thread (a thread costs more).
THREADED_VERTICES = 200_000


def on_two_cores(
    geoms: np.ndarray,
    work: Callable[[np.ndarray], Any],
    second_work: Callable[[np.ndarray], Any] | None = None,
) -> Any:
    """Return ``work(geoms)``, computed as two halves on two threads when ``geoms`` is large.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
        The array; split where half of its vertices lie on each side.
    work : callable
        A vectorised function of a geometry array returning an array of the same length.
    second_work : callable, optional
        Used for the second half instead of ``work`` (for work holding an object that must
        not be shared between threads, such as a PROJ transformer).

    Examples
    --------
    >>> boxes = shapely.box(np.arange(3.0), 0.0, np.arange(3.0) + 1, 1.0)
    >>> on_two_cores(boxes, shapely.area).tolist()
    [1.0, 1.0, 1.0]
    """
    if len(geoms) >= 2 and (os.cpu_count() or 1) > 1:
        sizes = np.cumsum(shapely.get_num_coordinates(geoms))
        if sizes[-1] >= THREADED_VERTICES:
            half = int(np.searchsorted(sizes, sizes[-1] / 2)) + 1
            with ThreadPoolExecutor(1) as pool:
                second = pool.submit(second_work or work, geoms[half:])
                first = work(geoms[:half])
                return np.concatenate([first, second.result()])
    return work(geoms)
