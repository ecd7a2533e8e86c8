"""Reading a recipe file: a regular file within the size limit, UTF-8, valid TOML.

Every refusal is one :class:`~autocity_gis._errors.RecipeError` sentence naming the file.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

from ._errors import RecipeError
from ._recipe_schema import _one_line
from .limits import Limits


def read_recipe_toml(path: Path, limits: Limits) -> dict[str, Any]:
    """Read a recipe file and parse it as TOML; :class:`RecipeError` for anything unusable."""
    text = _read_text(path, limits)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(f"{path}: not valid TOML ({_one_line(str(exc))}).") from exc
    except RecursionError as exc:
        raise RecipeError(
            f"{path}: not valid for a recipe (tables or arrays nested too deeply)."
        ) from exc
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise RecipeError(f"{path}: not valid for a recipe ({_one_line(str(exc))}).") from exc
    return data


def _read_text(path: Path, limits: Limits) -> str:
    """Read a recipe file as text: a regular file, at most ``max_recipe_bytes``, UTF-8."""
    cap = limits.max_recipe_bytes
    try:
        info = os.stat(path)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise RecipeError(f"{path}: cannot read the recipe ({reason}).") from exc
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "a folder"
            if stat.S_ISDIR(info.st_mode)
            else "a named pipe (FIFO)"
            if stat.S_ISFIFO(info.st_mode)
            else "a device"
            if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
            else "not a file"
        )
        raise RecipeError(f"{path}: is {kind}, not a regular file; give the recipe's .toml file.")
    too_big = RecipeError(
        f"{path}: the recipe is larger than the limit of {cap:,} bytes; if that is expected, "
        f"raise it with the environment variable {Limits.env_name('max_recipe_bytes')}."
    )
    if info.st_size > cap:
        raise too_big
    try:
        # Opened without following a swap to a pipe: O_NONBLOCK keeps a FIFO from hanging.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise RecipeError(f"{path}: is not a regular file; give the recipe's .toml file.")
            raw = handle.read(cap + 1)
    except OSError as exc:
        raise RecipeError(f"{path}: cannot read the recipe ({exc.strerror}).") from exc
    if len(raw) > cap:
        raise too_big
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecipeError(f"{path}: the recipe is not UTF-8 text (byte {exc.start}).") from exc
