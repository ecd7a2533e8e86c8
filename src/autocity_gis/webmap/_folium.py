"""The page as a folium map: what :func:`autocity_gis.webmap.make_map` returns for notebooks.

Folium and branca compile every string they are given as a Jinja template (``Element``, a
``MacroElement``'s template, and again each rendered script block), so they are given fixed
strings only: the Leaflet map, the vendored libraries and a call of the page's own script.
What they render is the page's fixed shell, three placeholders in it; the build does not import
folium at all but reads the same shell from ``assets/page.html`` (:func:`._page.shell`), which
:func:`shell_asset` regenerates and ``tests/test_webmap.py`` holds equal to folium's.
"""

from __future__ import annotations

import re
from typing import Any

import folium
from branca.element import Figure
from folium.elements import JSCSSMixin
from folium.template import Template

from .. import _offline
from ._page import (
    CSS_SLOT,
    DATA_SLOT,
    HTML_LANG,
    JS_SLOT,
    LANG_SLOT,
    MAP_SLOT,
    finish,
)


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
        """Render the whole self-contained page (also what notebooks show), as a build does."""
        return finish(self.render_shell(**kwargs), self.document)


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


def shell_asset() -> str:
    """Return what ``assets/page.html`` holds: folium's page, language and map id as slots.

    ``scripts/make_page_shell.py`` writes it; ``tests/test_webmap.py`` holds the file equal to
    it, so a folium that renders differently is noticed.
    """
    page = new_map({}, lang="en").get_root()
    assert isinstance(page, _Page)
    shell = page.render_shell()
    ids = set(re.findall(r"map_[0-9a-f]{32}", shell))
    if len(ids) != 1:
        raise RuntimeError(f"folium's page names {len(ids)} maps, not one.")
    shell = shell.replace(ids.pop(), MAP_SLOT)
    return shell.replace(f'<html lang="{HTML_LANG["en"]}">', f'<html lang="{LANG_SLOT}">', 1)
