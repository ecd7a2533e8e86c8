"""What the last output session did to its target, and the one-line errors of writing.

The interrupt handler says, truthfully, what the outputs look like (:func:`interrupted_note`);
a full disk or another OS error while writing becomes one :class:`OutputError` line
(:func:`write_error`); the renames of a swap run with Ctrl-C and TERM deferred. Standard library
only; re-exported by :mod:`autocity_gis._output`.
"""

from __future__ import annotations

import contextlib
import errno
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from ._errors import OutputError


@dataclass
class _Outcome:
    """What the last session in this process did to its target (for the interrupt message)."""

    target: str = ""
    state: str = "none"  # none, open, rolled-back, committed, pending


_LAST = _Outcome()


def reset_outcome() -> None:
    """Forget the previous session's outcome (each command starts with nothing written)."""
    _LAST.target, _LAST.state = "", "none"


def interrupted_note() -> str:
    """Say, truthfully, what the outputs look like after an interrupt."""
    where = _LAST.target
    if _LAST.state == "committed":
        return f"the new outputs were already complete in {where}"
    if _LAST.state == "pending":
        return (
            f"{where} was mid-replacement; the next autocity-gis run on it restores the "
            "previous outputs"
        )
    if _LAST.state in ("open", "rolled-back"):
        return f"{where} was left as it was"
    return "nothing was written"


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    # GDAL reports a full disk in its own exception types with the C library's wording.
    return "No space left on device" in str(exc) or "Disk quota exceeded" in str(exc)


def write_error(shown: str, exc: BaseException) -> OutputError:
    """Return the one-line error for an OS error while outputs were being written."""
    if is_disk_full(exc):
        reason = "the disk is full"
    else:
        reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
    return OutputError(
        f"{shown}: cannot write the outputs ({reason}); the folder was left as it was."
    )


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    # The renames of a swap take microseconds: Ctrl-C or a TERM arriving then is delivered
    # right after, so an interrupt never lands between two renames (a kill still can: the
    # journal covers that).
    blockable = threading.current_thread() is threading.main_thread() and hasattr(
        signal, "pthread_sigmask"
    )
    sigs = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs) if blockable else None
    try:
        yield
    finally:
        if old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
