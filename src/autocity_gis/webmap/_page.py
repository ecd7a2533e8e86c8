"""How the web map page is assembled: a fixed page, then its script, then its data.

This module owns the one place where text meets markup. The page is assembled in named steps --

1. :func:`shell`: the fixed page (``assets/page.html``, what folium renders for the map the
   page's script draws on, :mod:`._folium`), which holds three placeholders, gets its language
   and a new map id;
2. :func:`autocity_gis._offline.inline_assets` inlines the vendored libraries (every page);
3. :func:`splice_own_assets`: the page's own CSS and JavaScript (package files in ``assets/``)
   replace their placeholders;
4. :func:`splice_data`: the data document (:mod:`._document`) replaces the last placeholder as a
   ``<script type="application/json" id="acg-data">`` island, written so that nothing in it can
   end the element or open a comment,

-- so no user-derived string is ever template source, regex input, HTML or script: it is JSON
data that the fixed script reads and writes with ``textContent``. Writing a page compiles no
template and imports neither folium nor Jinja (~0.13 s of imports); :mod:`._folium` renders
the same shell for notebooks.
"""

from __future__ import annotations

import json
import re
import uuid
from functools import cache
from importlib import resources
from typing import Any

from .. import _offline

#: Placeholders of the fixed page, each replaced exactly once.
CSS_SLOT = "<!-- acg:css -->"
JS_SLOT = "<!-- acg:js -->"
DATA_SLOT = "<!-- acg:data -->"
#: Where ``assets/page.html`` holds the ``<html lang>`` and the map's id (five times).
LANG_SLOT = "acg-lang"
MAP_SLOT = "map_acg-map-id"
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


def page(document: dict[str, Any], *, lang: str = "en") -> str:
    """Return the finished, self-contained page of ``document``.

    The vendored libraries are inlined (before any data is in the page) for every page, so
    its overlays draw with the network cut; whether the page may load basemap tiles is decided
    by the basemaps in its data, not here.

    Parameters
    ----------
    document : dict
        The page's data (:func:`._document.build_document`).
    lang : str
        The interface language (``en`` or ``zh``), for ``<html lang>``.

    Returns
    -------
    str
        The HTML page.
    """
    return finish(shell(lang), document)


def finish(fixed: str, document: dict[str, Any]) -> str:
    """Return the self-contained page from its fixed shell (steps 2-4 of the module's list).

    The vendored libraries are inlined before any data is in the page, then the page's own
    CSS and script, then the data island.
    """
    return splice_data(splice_own_assets(_offline.inline_assets(fixed)), document)


def shell(lang: str = "en") -> str:
    """Return the fixed page in ``lang``, placeholders in place, with a new map id.

    The id is folium's kind (``map_`` and 32 hexadecimal digits), new for every page.
    """
    fixed = _fixed_shell()
    return fixed.replace(LANG_SLOT, HTML_LANG[lang]).replace(MAP_SLOT, f"map_{uuid.uuid4().hex}")


@cache
def _fixed_shell() -> str:
    text = resources.files(__package__).joinpath("assets", "page.html").read_text("utf-8")
    slots = {LANG_SLOT: 1, MAP_SLOT: 5, CSS_SLOT: 1, JS_SLOT: 1, DATA_SLOT: 1}
    for slot, count in slots.items():
        if text.count(slot) != count:
            found = text.count(slot)
            raise RuntimeError(f"assets/page.html holds {found} of {slot!r}, not {count}.")
    return text


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
