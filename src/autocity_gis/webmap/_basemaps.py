"""Tile basemaps of the web map, the datum each is drawn in, and the Tianditu key.

This module owns :data:`BASEMAPS` (URL templates as in Leaflet.ChineseTmsProviders), the checks of
``--basemap`` and ``--lang`` values, and where a Tianditu key comes from. URLs and attributions
here are constants of the toolkit; they reach the page as JSON data like everything else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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

_TIANDITU_URL = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}"
)


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


_OSM_ATTR = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
_AMAP_ATTR = "&copy; 高德地图 AutoNavi"
_TDT_ATTR = "&copy; 天地图 Tianditu"
_WGS = "WGS 84"
_GCJ = "GCJ-02"
_CGCS = "CGCS2000 (≈ WGS 84)"

#: Basemaps by the name ``--basemap`` takes.
BASEMAPS: Mapping[str, Basemap] = {
    "osm": Basemap(
        "OpenStreetMap",
        "OpenStreetMap",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        _OSM_ATTR,
        "WGS84",
        _WGS,
        max_zoom=19,
    ),
    "amap": Basemap(
        "Amap (vector)",
        "高德地图（矢量）",
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}",
        _AMAP_ATTR,
        "GCJ02",
        _GCJ,
        subdomains="1234",
    ),
    "amap-satellite": Basemap(
        "Amap (satellite)",
        "高德地图（卫星）",
        "https://webst0{s}.is.autonavi.com/appmaptile?style=6&x={x}&y={y}&z={z}",
        _AMAP_ATTR,
        "GCJ02",
        _GCJ,
        subdomains="1234",
    ),
    "tianditu": Basemap(
        "Tianditu (vector)",
        "天地图（矢量）",
        _TIANDITU_URL.replace("{layer}", "vec"),
        _TDT_ATTR,
        "WGS84",
        _CGCS,
        subdomains="01234567",
        needs_key=True,
        labels_url=_TIANDITU_URL.replace("{layer}", "cva"),
    ),
    "tianditu-satellite": Basemap(
        "Tianditu (satellite)",
        "天地图（影像）",
        _TIANDITU_URL.replace("{layer}", "img"),
        _TDT_ATTR,
        "WGS84",
        _CGCS,
        subdomains="01234567",
        needs_key=True,
        labels_url=_TIANDITU_URL.replace("{layer}", "cia"),
    ),
    "none": Basemap("No basemap", "无底图", None, "", "WGS84", _WGS),
}


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
