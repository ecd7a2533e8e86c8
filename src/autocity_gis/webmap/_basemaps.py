"""Tile basemaps of the web map, the datum each is drawn in, and the Tianditu key.

This module owns :data:`BASEMAPS` (URL templates as in Leaflet.ChineseTmsProviders, kept in
``assets/basemaps.toml``), the checks of
``--basemap`` and ``--lang`` values, and where a Tianditu key comes from. URLs and attributions
here are constants of the toolkit; they reach the page as JSON data like everything else.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

from .._errors import InputError

#: Interface languages for labels, panels and tooltips.
LANGUAGES: tuple[str, ...] = ("en", "zh")
#: Basemap of an online page.
DEFAULT_BASEMAP = "osm"
#: Basemap of an ``offline=True`` page: a plain background. An offline page offers no online
#: basemap at all, so it makes no network request whatever its reader clicks.
OFFLINE_DEFAULT_BASEMAP = "none"
#: Environment variable read for the Tianditu key when none is passed.
TIANDITU_KEY_ENV = "TIANDITU_KEY"

@dataclass(frozen=True)
class Basemap:
    """A tile basemap and the datum its tiles are drawn in.

    Attributes
    ----------
    name_en, name_zh : str
        Label in the layer control.
    url : str or None
        Leaflet URL template; None for a plain background. ``{tk}`` is the user's key.
    attribution : str
        Attribution HTML (a constant, never user text).
    datum : str
        ``WGS84`` or ``GCJ02``: the datum the overlays are shifted into.
    datum_label : str
        How the page names the datum.
    subdomains : str
        Values of ``{s}``.
    max_zoom : int
        Highest zoom with tiles.
    needs_key : bool
        Whether the provider needs the user's key (Tianditu).
    labels_url : str or None
        Annotation tiles drawn over ``url`` (Tianditu serves names separately).
    """

    name_en: str
    name_zh: str
    url: str | None
    attribution: str
    datum: str
    datum_label: str
    subdomains: str = ""
    max_zoom: int = 18
    needs_key: bool = False
    labels_url: str | None = None


def _load() -> dict[str, Basemap]:
    """Read the basemaps from ``assets/basemaps.toml`` (package data), in the file's order."""
    source = resources.files("autocity_gis.webmap") / "assets" / "basemaps.toml"
    table = tomllib.loads(source.read_text(encoding="utf-8"))
    # TOML has no null: a basemap without tiles (``none``) simply has no ``url``.
    return {str(name): Basemap(**{"url": None, **fields}) for name, fields in table.items()}


#: Basemaps by the name ``--basemap`` takes.
BASEMAPS: Mapping[str, Basemap] = _load()


def check_choice(value: str, valid: Sequence[str], what: str) -> None:
    """Raise :class:`InputError` naming the valid choices if ``value`` is not one of them."""
    if value not in valid:
        raise InputError(f"{what} {value!r} is not known; valid {what}s are: {', '.join(valid)}.")


def check_offline(name: str, offline: bool) -> None:
    """Refuse an online basemap on an offline page, whose promise is "no basemap requests".

    Raises
    ------
    InputError
        If ``offline`` and basemap ``name`` loads tiles from the network.
    """
    if offline and BASEMAPS[name].url is not None:
        raise InputError(
            f"basemap {name!r} loads its tiles from the network, which an offline map never "
            f"does: leave the basemap out (or choose {OFFLINE_DEFAULT_BASEMAP!r}) or drop offline."
        )


def resolve_key(basemap: Basemap, name: str, key: str | None) -> str | None:
    """Return the Tianditu key a basemap needs (argument or environment), checked.

    Raises
    ------
    InputError
        If a Tianditu basemap has no key or the key is not letters and digits.
    """
    if basemap.needs_key:
        key = key or os.environ.get(TIANDITU_KEY_ENV) or None
    if not key:
        if not basemap.needs_key:
            return None
        raise InputError(
            f"basemap {name!r} needs a Tianditu key: pass one (--tianditu-key) or set "
            f"{TIANDITU_KEY_ENV}."
        )
    if not re.fullmatch(r"[0-9A-Za-z]+", key):
        raise InputError(f"the Tianditu key for basemap {name!r} must be letters and digits only.")
    return key
