"""How the web map page is assembled: a fixed page, then its script, then its data.

This module owns the one place where text meets markup. Folium and branca compile every string
they are given as a Jinja template (``Element``, a ``MacroElement``'s template, and again each
rendered script block), so they are given fixed strings only: the Leaflet map, the vendored
libraries and a call of the page's own script. The page is assembled in named steps --

1. ``_Page.render_shell``: folium renders the fixed page, which holds three placeholders;
2. :func:`autocity_gis._offline.inline_assets` inlines the vendored libraries (every page);
3. :func:`splice_own_assets`: the page's own CSS and JavaScript (package files in ``assets/``)
   replace their placeholders;
4. :func:`splice_data`: the data document (:mod:`._document`) replaces the last placeholder as a
   ``<script type="application/json" id="acg-data">`` island, written so that nothing in it can
   end the element or open a comment,

-- so no user-derived string is ever template source, regex input, HTML or script: it is JSON
data that the fixed script reads and writes with ``textContent``.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

import folium
from branca.element import Figure
from folium.elements import JSCSSMixin
from folium.template import Template

from .. import _offline

#: Placeholders of the fixed page, each replaced exactly once.
CSS_SLOT = "<!-- acg:css -->"
JS_SLOT = "<!-- acg:js -->"
DATA_SLOT = "<!-- acg:data -->"
#: The page's ``<html lang>`` for each interface language.
HTML_LANG = {"en": "en", "zh": "zh-CN"}
#: Element id of the data island.
DATA_ID = "acg-data"
#: The page's own script files, in the order they are joined.
SCRIPT_FILES = ("measure.js", "tianditu.js", "map.js")
STYLE_FILES = ("map.css",)

# Characters that must not appear raw in a script element's text: "<" and ">" (no "</script"
# or "<!--"), "&", the two line terminators old JavaScript parsers reject, controls that HTML
# reports as parse errors, and lone surrogates (not encodable as UTF-8). Outside JSON strings
# none of them occurs, so each becomes a \u escape the JSON parser turns back into itself.
_SCRIPT_UNSAFE = re.compile("[<>&\x7f-\x9f\u2028\u2029\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")


class _Page(Figure):
    """The page's root: branca's figure with fixed slots for the page's CSS, script and data."""

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="{{ this.lang }}">\n'
        "<head>\n"
        "    {{ this.header.render(**kwargs) }}\n"
        f"    {CSS_SLOT}\n"
        "</head>\n"
        "<body>\n"
        "    {{ this.html.render(**kwargs) }}\n"
        f"    {DATA_SLOT}\n"
        f"    {JS_SLOT}\n"
        "</body>\n"
        "<script>\n"
        "    {{ this.script.render(**kwargs) }}\n"
        "</script>\n"
        "</html>\n"
    )

    def __init__(self, document: dict[str, Any], lang: str = "en") -> None:
        super().__init__()
        self.document = document
        # A fixed value from this table, never text from the data: the template renders it.
        self.lang = HTML_LANG[lang]

    def render_shell(self, **kwargs: Any) -> str:
        """Render the fixed page, placeholders still in place (no data, no own script)."""
        shell: str = super().render(**kwargs)
        return shell

    def render(self, **kwargs: Any) -> str:
        """Render the whole self-contained page (also what notebooks show).

        The vendored libraries are inlined before any data is in the page, then the page's own
        CSS and script, then the data island.
        """
        shell = _offline.inline_assets(self.render_shell(**kwargs))
        return splice_data(splice_own_assets(shell), self.document)


class _Start(JSCSSMixin):
    """The vendored plugins' links and the one call that hands the map to the page's script."""

    _template = Template(
        "{% macro script(this, kwargs) %}acgStart({{ this._parent.get_name() }});{% endmacro %}"
    )
    default_js = _offline.links("fullscreen", "mouse_position", "minimap", "geodesic")
    default_css = _offline.links("fullscreen_css", "mouse_position_css", "minimap_css")

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca is untyped
        self._name = "AcgStart"


def new_map(document: dict[str, Any], *, lang: str = "en") -> folium.Map:
    """Return the fixed folium map of a page whose root carries ``document``.

    Parameters
    ----------
    document : dict
        The page's data (:func:`._document.build_document`).
    lang : str
        The interface language (``en`` or ``zh``), for ``<html lang>``.

    Returns
    -------
    folium.Map
        A map with no layers: the page's script adds them from the data.
    """
    # The scale bar is added by the page's script (metric only in Chinese).
    m = folium.Map(location=None, tiles=None, control_scale=False, zoom_start=10, max_zoom=19)
    m.default_js = _offline.links("leaflet")
    m.default_css = _offline.links("leaflet_css")
    _Page(document, lang).add_child(m)
    _Start().add_to(m)
    return m


def assemble(m: folium.Map) -> str:
    """Return the finished, self-contained page of a map made by :func:`new_map`.

    The vendored libraries are inlined (before any data is in the page) for every page, so
    its overlays draw with the network cut; whether the page may load basemap tiles is decided
    by the basemaps in its data, not here.

    Parameters
    ----------
    m : folium.Map
        The map.

    Returns
    -------
    str
        The HTML page.
    """
    page = m.get_root()
    if not isinstance(page, _Page):
        raise TypeError("the map was not made by webmap._page.new_map")
    return page.render()


def splice_own_assets(page: str) -> str:
    """Replace the CSS and script placeholders with the page's own files."""
    page = _replace_once(page, CSS_SLOT, f"<style>\n{own_css()}</style>")
    return _replace_once(page, JS_SLOT, f"<script>\n{own_script()}</script>")


def splice_data(page: str, document: dict[str, Any]) -> str:
    """Replace the data placeholder with the JSON island (the last step of assembly)."""
    island = f'<script type="application/json" id="{DATA_ID}">{data_json(document)}</script>'
    return _replace_once(page, DATA_SLOT, island)


def data_json(document: dict[str, Any]) -> str:
    r"""Return strict JSON of ``document`` that can stand inside a ``<script>`` element.

    Examples
    --------
    >>> data_json({"name": "</script><!--{{x}}"})
    '{"name":"\\u003c/script\\u003e\\u003c!--{{x}}"}'
    """
    text = json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return _SCRIPT_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


@cache
def own_script() -> str:
    """Return the page's own JavaScript: the package's ``assets/*.js`` files, joined."""
    return "".join(_asset(name, forbidden=("<script", "</script", "<!--")) for name in SCRIPT_FILES)


@cache
def own_css() -> str:
    """Return the page's own stylesheet: the package's ``assets/*.css`` files, joined."""
    return "".join(_asset(name, forbidden=("</style",)) for name in STYLE_FILES)


def _asset(name: str, *, forbidden: tuple[str, ...]) -> str:
    text = resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")
    for needle in forbidden:
        if needle in text.lower():
            raise RuntimeError(f"assets/{name} contains {needle!r}, which would end its element.")
    return f"/* autocity-gis {name} */\n{text}\n"


def _replace_once(page: str, slot: str, content: str) -> str:
    # Split rather than str.replace or re.sub: the content is inserted as it is, and a slot that
    # is missing or doubled is a bug in the page template, not something to guess around.
    parts = page.split(slot)
    if len(parts) != 2:
        raise RuntimeError(f"the page holds {len(parts) - 1} copies of {slot!r}, not one.")
    return parts[0] + content + parts[1]
