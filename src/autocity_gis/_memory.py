"""Returning freed memory to the operating system between the steps of a large job.

GEOS and numpy allocate through the C library's ``malloc``. glibc keeps what is freed in its
heap for later allocations, but the large blocks made later (a province's coordinates, numpy's
arrays) are mapped fresh, so the freed heap stays resident beside them: on the country job the
2,875 counties' geometries (~170 MB), freed once the provinces are made, were still counted in
the job's peak. :func:`give_back` hands such memory back (glibc's ``malloc_trim``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache
from typing import Any


def give_back() -> bool:
    """Return the C heap's free memory to the operating system, where the C library allows.

    Returns
    -------
    bool
        Whether anything was returned (False off glibc, e.g. on macOS, Windows or musl).

    Examples
    --------
    >>> isinstance(give_back(), bool)
    True
    """
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


@cache
def _malloc_trim() -> Any:
    """Return glibc's ``malloc_trim`` (None where there is none)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim
