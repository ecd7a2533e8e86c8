"""Vendored web assets and the inlining that makes a map page self-contained.

This module owns the manifest of the JavaScript and CSS files the web map uses -- each taken
from a pinned npm release and copied, with its licence, into ``_vendor/`` -- and the two ways a
page refers to them: online, as pinned jsDelivr URLs of exactly those releases; offline, inlined
into the page with every image the stylesheets use turned into a ``data:`` URI, so that opening
the file makes no network request. See ``_vendor/README.md`` for refreshing the copies.

:func:`inline_assets` rewrites a page with regular expressions, so it is given the web map's
fixed page only: the map's data (every name and source) is spliced in after it has run
(:mod:`autocity_gis.webmap._page`), and no text from a recipe or layer is ever matched here.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import PurePosixPath


@dataclass(frozen=True)
class Asset:
    """One vendored script or stylesheet.

    Attributes
    ----------
    key : str
        Name used by the page's header (one link per key).
    package, version : str
        The npm package and the pinned release it was copied from.
    package_path : str
        Path of the file inside the npm package.
    local : str
        Path of the copy below ``_vendor/``.
    """

    key: str
    package: str
    version: str
    package_path: str
    local: str

    @property
    def url(self) -> str:
        """The CDN address of exactly this release's file."""
        return f"https://cdn.jsdelivr.net/npm/{self.package}@{self.version}/{self.package_path}"

    @property
    def is_css(self) -> bool:
        """Whether the asset is a stylesheet."""
        return self.local.endswith(".css")


ASSETS: dict[str, Asset] = {
    a.key: a
    for a in (
        Asset("leaflet", "leaflet", "1.9.4", "dist/leaflet.js", "leaflet/leaflet.js"),
        Asset("leaflet_css", "leaflet", "1.9.4", "dist/leaflet.css", "leaflet/leaflet.css"),
        Asset(
            "fullscreen",
            "leaflet.fullscreen",
            "3.0.0",
            "Control.FullScreen.js",
            "leaflet.fullscreen/Control.FullScreen.js",
        ),
        Asset(
            "fullscreen_css",
            "leaflet.fullscreen",
            "3.0.0",
            "Control.FullScreen.css",
            "leaflet.fullscreen/Control.FullScreen.css",
        ),
        Asset(
            "mouse_position",
            "leaflet-mouse-position",
            "1.2.0",
            "src/L.Control.MousePosition.js",
            "leaflet-mouse-position/L.Control.MousePosition.js",
        ),
        Asset(
            "mouse_position_css",
            "leaflet-mouse-position",
            "1.2.0",
            "src/L.Control.MousePosition.css",
            "leaflet-mouse-position/L.Control.MousePosition.css",
        ),
        Asset(
            "minimap",
            "leaflet-minimap",
            "3.6.1",
            "dist/Control.MiniMap.min.js",
            "leaflet-minimap/Control.MiniMap.min.js",
        ),
        Asset(
            "minimap_css",
            "leaflet-minimap",
            "3.6.1",
            "dist/Control.MiniMap.min.css",
            "leaflet-minimap/Control.MiniMap.min.css",
        ),
        Asset(
            "geodesic",
            "geographiclib-geodesic",
            "2.2.0",
            "geographiclib-geodesic.min.js",
            "geographiclib-geodesic/geographiclib-geodesic.min.js",
        ),
    )
}

_BY_URL = {a.url: a for a in ASSETS.values()}
_SCRIPT_SRC = re.compile(r'<script\s+src="([^"]+)"\s*>\s*</script>')
_LINK_HREF = re.compile(r'<link\s+rel="stylesheet"\s+href="([^"]+)"\s*/?>')
_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")
#: A resource the browser would fetch: script/img/iframe sources, stylesheet links, CSS urls and
#: imports. Plain ``<a href>`` links (attributions) are not resources.
REMOTE_RESOURCE = re.compile(
    r"(?:<script[^>]*\ssrc=|<link[^>]*\shref=|<img[^>]*\ssrc=|<iframe[^>]*\ssrc=)\s*['\"]?"
    r"(?:https?:)?//|url\(\s*['\"]?(?:https?:)?//|@import",
    re.IGNORECASE,
)


def links(*keys: str) -> list[tuple[str, str]]:
    """Return ``(key, url)`` pairs in the form folium's ``default_js``/``default_css`` take.

    Parameters
    ----------
    *keys : str
        Keys of :data:`ASSETS`.

    Returns
    -------
    list of tuple
        Pinned CDN links, one per key.
    """
    return [(k, ASSETS[k].url) for k in keys]


def _vendor_file(local: str) -> bytes:
    return resources.files("autocity_gis").joinpath("_vendor", local).read_bytes()


def _data_uri(local: str) -> str:
    mime = mimetypes.guess_type(local)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(_vendor_file(local)).decode('ascii')}"


def _inline_css(asset: Asset) -> str:
    css = _vendor_file(asset.local).decode("utf-8")
    folder = PurePosixPath(asset.local).parent

    def replace(match: re.Match[str]) -> str:
        ref = match.group(2)
        if ref.startswith(("#", "data:")):
            return match.group(0)
        if "//" in ref:
            raise RuntimeError(f"{asset.local} refers to a remote resource {ref!r}.")
        return f'url("{_data_uri(str(folder / ref))}")'

    css = _CSS_URL.sub(replace, css)
    # A stylesheet's text must not be able to end the <style> element it is placed in.
    return css.replace("</", "<\\/")


def _inline_js(asset: Asset) -> str:
    js = _vendor_file(asset.local).decode("utf-8")
    # "</script" inside a string would end the element early; "<\/" is the same string in JS.
    return js.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def inline_assets(page: str) -> str:
    """Replace every vendored ``<script src>`` and stylesheet link with the file's content.

    Parameters
    ----------
    page : str
        A rendered HTML page whose scripts and stylesheets are all in :data:`ASSETS`, holding
        no user text (patterns such as ``url(`` or ``@import`` in data would be misread).

    Returns
    -------
    str
        The page with no reference to a remote script, stylesheet or image.

    Raises
    ------
    RuntimeError
        If the page refers to a resource that is not vendored (a bug in the page builder).
    """

    def script(match: re.Match[str]) -> str:
        asset = _lookup(match.group(1))
        return f"<script>/* {asset.package}@{asset.version} */\n{_inline_js(asset)}\n</script>"

    def style(match: re.Match[str]) -> str:
        asset = _lookup(match.group(1))
        return f"<style>/* {asset.package}@{asset.version} */\n{_inline_css(asset)}\n</style>"

    page = _SCRIPT_SRC.sub(lambda m: script(m), page)
    page = _LINK_HREF.sub(lambda m: style(m), page)
    leftover = REMOTE_RESOURCE.search(page)
    if leftover:
        start = max(leftover.start() - 60, 0)
        raise RuntimeError(
            f"offline page still refers to a remote resource: {page[start : leftover.end() + 60]!r}"
        )
    return page


def _lookup(url: str) -> Asset:
    try:
        return _BY_URL[url]
    except KeyError:
        raise RuntimeError(f"{url} is not a vendored asset; add it to _offline.ASSETS.") from None
