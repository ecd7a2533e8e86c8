"""A recipe's ``[[overlays]]`` blocks and its ``engine``/``scheduler``: checked, paths resolved.

Each block is checked by :func:`autocity_gis.overlays.parse_overlay`; this module adds what only
the whole recipe knows: ids unique across blocks and distinct from component ids, the layer
path resolved inside the recipe's folder like a component's (a folder of GeoParquet files is
accepted as one partitioned dataset, but only plain files inside the recipe's folder, no
symbolic links), a GeoDataFrame layer in a dict recipe, and the recipe-level ``engine``
(``local`` or ``dask``) and ``scheduler`` (``tcp://HOST:PORT``). Problems are collected into
the checker's list like every other recipe problem, so the recipe still fails once.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import InputError, LayerError
from ._recipe_schema import _clip

if TYPE_CHECKING:
    from .overlays.spec import OverlaySpec

__all__ = ["ENGINES", "OverlayLayer", "check_engine", "check_overlays", "check_scheduler"]

ENGINES: tuple[str, ...] = ("local", "dask")
#: A dask.distributed scheduler address: tcp:// or tls://, a host, a port.
_SCHEDULER_RE = re.compile(r"^(tcp|tls)://[A-Za-z0-9.\-\[\]:]{1,253}:[0-9]{1,5}$")
_FRAME_LABEL = "<GeoDataFrame of [[overlays]] block {}>"


@dataclass(frozen=True)
class OverlayLayer:
    """One checked overlay of a recipe and where its layer is.

    Attributes
    ----------
    spec : OverlaySpec
        The checked block (``spec.layer`` is the path as written).
    path : Path
        The layer's absolute path inside the recipe's folder (a file, or a folder of
        GeoParquet files); only a label when ``frame`` is given.
    frame : geopandas.GeoDataFrame or None
        The parcels themselves, when a dict recipe gives a GeoDataFrame as ``layer``.
    """

    spec: OverlaySpec
    path: Path
    frame: Any = field(default=None, compare=False, repr=False)

    @property
    def id(self) -> str:
        """The overlay's id."""
        return self.spec.id


def check_engine(value: object) -> str | None:
    """Return why an ``engine`` value is refused, or None when it is one of :data:`ENGINES`."""
    if value in ENGINES:
        return None
    shown = _clip(value) if isinstance(value, str) else type(value).__name__
    return f"'engine' must be one of {', '.join(ENGINES)}, not '{shown}'"


def check_scheduler(value: object) -> str | None:
    """Return why a ``scheduler`` address is refused, or None for ``tcp://HOST:PORT``."""
    if isinstance(value, str) and _SCHEDULER_RE.match(value):
        return None
    shown = _clip(value) if isinstance(value, str) else type(value).__name__
    return f"'scheduler' must be an address like tcp://HOST:PORT, not '{shown}'"


def check_overlays(
    blocks: object,
    *,
    source: str,
    folder: Path | None,
    component_ids: set[str],
    problems: list[str],
) -> tuple[OverlayLayer, ...]:
    """Check every ``[[overlays]]`` block; add each problem (one sentence) to ``problems``.

    Parameters
    ----------
    blocks : list
        The recipe's ``overlays`` value.
    source : str
        The recipe's name, for messages.
    folder : Path or None
        The recipe's folder (None: a dict recipe without ``root=``, which takes frames only).
    component_ids : set of str
        The components' ids: an overlay may not take one.
    problems : list of str
        The checker's list of problems (``where: what``, no final full stop).
    """
    from .overlays.spec import parse_overlay

    def fail(where: str, what: str) -> None:
        problems.append(f"{where}: {what}")

    if not isinstance(blocks, list):
        fail("[[overlays]]", "must be a list of tables")
        return ()
    out: list[OverlayLayer] = []
    seen: set[str] = set()
    for i, raw in enumerate(blocks, start=1):
        frame = _frame_of(raw)
        table = dict(raw) if isinstance(raw, dict) else raw
        if frame is not None and isinstance(table, dict):
            table["layer"] = _FRAME_LABEL.format(i)
        try:
            spec = parse_overlay(table, source=source, index=i)
        except InputError as exc:
            # parse_overlay names the file itself; the checker adds it again.
            problems.append(str(exc).removeprefix(f"{source}: ").rstrip("."))
            continue
        where = f"[[overlays]] block {i} ('{_clip(spec.id)}')"
        if spec.id in seen:
            fail(where, "duplicate overlay id")
        elif spec.id in component_ids:
            fail(where, "the id is a component's; give the overlay its own")
        seen.add(spec.id)
        if frame is not None:
            out.append(OverlayLayer(spec, Path(spec.layer), frame))
            continue
        if folder is None:
            fail(
                where,
                f"layer '{_clip(spec.layer)}' is a file path, but a dict recipe reads files only "
                "from the folder given as root=; pass root= or give a GeoDataFrame",
            )
            continue
        try:
            out.append(OverlayLayer(spec, resolve_overlay_path(spec.layer, folder)))
        except LayerError as exc:
            fail(where, str(exc))
    return tuple(out)


def _frame_of(raw: object) -> Any:
    if not isinstance(raw, dict):
        return None
    from ._recipe_fields import _as_frame

    return _as_frame(raw.get("layer"))


def resolve_overlay_path(text: str, folder: Path) -> Path:
    """Resolve an overlay's ``layer``: a file as for components, or a folder of GeoParquet files.

    A folder is one partitioned dataset (one file per county, say). It must lie inside the
    recipe's folder and hold at least one ``.parquet`` file; everything in it must be a plain
    file or folder (a symbolic link could reach outside the recipe's folder, a pipe could hang
    the reader).

    Raises
    ------
    LayerError
        With a sentence (no file prefix) saying what is wrong.
    """
    from ._gdal_paths import resolve_layer_path

    full = folder / text
    is_folder = (
        "\x00" not in text
        and not Path(text).is_absolute()
        and full.is_dir()
        and not full.is_symlink()
        and full.suffix.lower() != ".gdb"
    )
    if not is_folder:
        return resolve_layer_path(text, folder)
    real = Path(os.path.realpath(full))
    if not real.is_relative_to(folder):
        raise LayerError(f"layer path '{_clip(text)}' leaves the recipe's folder; copy the data in")
    found = 0
    for dirpath, dirnames, filenames in os.walk(real):
        for name in [*dirnames, *filenames]:
            mode = os.lstat(os.path.join(dirpath, name)).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise LayerError(
                    f"layer folder '{_clip(text)}' holds '{_clip(name)}', which is not a plain "
                    "file or folder (a link, pipe or device); only plain files are read"
                )
            found += name.lower().endswith(".parquet") and stat.S_ISREG(mode)
    if not found:
        raise LayerError(
            f"layer folder '{_clip(text)}' holds no .parquet file (a folder is read only as a "
            "partitioned GeoParquet dataset)"
        )
    return real
