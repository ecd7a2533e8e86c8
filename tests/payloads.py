"""Hostile text, generated in code, and a recipe that carries it in every text field.

Shared by ``test_text.py``, ``test_report.py``, ``test_export.py`` and ``test_qgis.py``. The
payloads cover template engines (Jinja, QGIS ``[% %]``, Google Earth ``$[ ]``), HTML and
JavaScript breakouts, XML (CDATA end, comments, entities, characters XML 1.0 forbids),
Markdown (links, images, HTML, code, emphasis, tables, block starts) and terminals (escape
sequences, bell, carriage return, newline, bidi override).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
from common import EAST, WEST, cell, component_frame

#: One payload per trick; ``ALL`` holds them all at once.
PAYLOADS: tuple[str, ...] = (
    "{{7*7}}",
    "{% raw %}",
    "{%",
    "Plan {{phase}}",
    "<script>alert(1)</script>",
    "</script>",
    "]]>",
    "<!--",
    "&amp;",
    "&#x41;",
    "[x](http://evil)",
    "![i](http://evil/x.png)",
    "<img src=x>",
    "`code`",
    "*em* _em_ ~~s~~",
    "a|b",
    "'single' \"double\"",
    "[% 7*7 %]",
    "$[description]",
    "\\",
    "\x1b[2J",
    "\x07",
    "\r",
    "\n",
    "\u202e",
    "".join(chr(c) for c in range(1, 32)),
    "\ufffe",
)
ALL = " ".join(PAYLOADS)
#: Payloads at the start of a text, where Markdown would open a block.
BLOCK_STARTS: tuple[str, ...] = ("- item", "# head", "1. one", "> quote", "    code", "+ x")

#: Bidi controls that reorder a terminal line, as the terminal renderer must show them.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def text(field: str) -> str:
    """The payload text of one field: the field's name, then every payload."""
    return f"{field} {ALL}"


def shown(value: str) -> str:
    r"""What a reader must see of ``value``: controls as ``\xNN``/``\n``, bidi as ``\uNNNN``.

    Written independently of the toolkit's escaper, from the characters' definitions.
    """
    out = []
    for char in value:
        code = ord(char)
        if char in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            out.append(f"\\x{code:02x}")
        elif char in _BIDI or char in "\u2028\u2029\ufffe\uffff" or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def xml_shown(value: str) -> str:
    """What an XML file can carry of ``value``: forbidden characters shown as in :func:`shown`."""
    allowed = "\t\n\r"
    return "".join(
        shown(c)
        if (ord(c) < 0x20 and c not in allowed)
        or c in "\ufffe\uffff"
        or 0xD800 <= ord(c) <= 0xDFFF
        else c
        for c in value
    )


def xml_text_shown(value: str) -> str:
    """:func:`xml_shown` as element text reads back: XML turns CR LF and lone CR into LF."""
    return xml_shown(value).replace("\r\n", "\n").replace("\r", "\n")


def _toml(value: str) -> str:
    # JSON strings are TOML basic strings once DEL is escaped too (TOML forbids it raw).
    return json.dumps(value).replace("\x7f", "\\u007f")


def write_payload_recipe(folder: Path) -> Path:
    """Write layers and a recipe whose every text field carries :data:`ALL`.

    Components ``w`` and ``e`` come from a GeoJSON layer whose text attributes are payloads;
    ``m`` is missing with a payload reason; the context layer's names are payloads; the city's
    names and the stated-area sources are payloads. Ids stay within the recipe's id rule.
    """
    rows = []
    for cid, geometry in (("w", WEST), ("e", EAST)):
        rows.append(
            {
                "id": cid,
                "name_zh": text(f"layer name_zh {cid}"),
                "name_en": text(f"layer name_en {cid}"),
                "kind": text("kind"),
                "method": text("method"),
                "source": text("source"),
                "date": text("date"),
                "parent_adcode": text("parent_adcode"),
                "geometry": geometry,
            }
        )
    component_frame(rows).to_file(folder / "parts.geojson", driver="GeoJSON")
    context = gpd.GeoDataFrame(
        {
            "adcode": [text("adcode")],
            "name_zh": [text("context name_zh")],
            "name_en": [text("context name_en")],
        },
        geometry=[cell(125.05, 43.75, 125.35, 43.95)],
        crs=4326,
    )
    context.to_file(folder / "admin.geojson", driver="GeoJSON")
    blocks = [
        "[city]\n"
        f"name_en = {_toml(text('city name_en'))}\n"
        f"name_zh = {_toml(text('city name_zh'))}\n"
        "target_km2 = 200.0\n"
        "tolerance_pct = 5.0\n"
        f"target_source = {_toml(text('target_source'))}\n",
        '[context]\nlayer = "admin.geojson"\n',
    ]
    for cid in ("w", "e"):
        blocks.append(
            "[[components]]\n"
            f'id = "{cid}"\n'
            f"name_en = {_toml(text(f'name_en {cid}'))}\n"
            f"name_zh = {_toml(text(f'name_zh {cid}'))}\n"
            'layer = "parts.geojson"\n'
            f'filter = {{ id = "{cid}" }}\n'
            "stated_area_km2 = 90.0\n"
            f"stated_area_source = {_toml(text(f'stated_area_source {cid}'))}\n"
        )
    blocks.append(
        "[[components]]\n"
        'id = "m"\n'
        f"name_en = {_toml(text('name_en m'))}\n"
        f"name_zh = {_toml(text('name_zh m'))}\n"
        f"missing_reason = {_toml(text('missing_reason'))}\n"
    )
    path = folder / "recipe.toml"
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


#: The web map's payload names; :func:`web_payload` builds each (the template ones need a path).
WEB_PAYLOADS = (
    "jinja_expr",
    "jinja_set",
    "jinja_open_stmt",
    "jinja_open_expr",
    "jinja_open_comment",
    "jinja_rce",
    "jinja_rce_stmt",
    "html_img",
    "html_attr",
    "script_close",
    "comment_open",
    "script_open",
    "css_import",
    "css_url",
    "js_separators",
    "js_template",
    "controls",
    "rtl_override",
    "long",
)


def web_payload(name: str, marker: Path) -> str:
    """The payload called ``name``; the code-running ones would create ``marker``."""
    touch = f"touch {marker}"
    text = {
        "jinja_expr": "{{7*7}}",
        "jinja_set": "{% set x = 1 %}",
        "jinja_open_stmt": "Plan {%",
        "jinja_open_expr": "Plan {{",
        "jinja_open_comment": "Plan {#",
        "jinja_rce": "{{ lipsum.__globals__.os.popen('" + touch + "').read() }}",
        # Quote-free (HTML escaping cannot touch it): the command comes from the environment.
        "jinja_rce_stmt": (
            "{% set o = lipsum.__globals__.os %}{{ o.popen(o.environ." + COMMAND_ENV + ").read() }}"
        ),
        "html_img": "<img src=x onerror=window.__pwned=1>",
        "html_attr": "\"'><b>x</b>",
        "script_close": "</script><script>window.__pwned=1</script>",
        "comment_open": "<!-- a",
        "script_open": "<script",
        "css_import": "@import url(http://127.0.0.1:9/x)",
        "css_url": "url(",
        "js_separators": "line\u2028paragraph\u2029end",
        "js_template": "`${1}` ${window.__pwned=1}",
        "controls": "".join(map(chr, range(1, 32))) + "\x7f\x1b[31m red",
        "rtl_override": "abc \u202edcba xyz",  # never closed: the override runs to the end
        "long": ("Plan {{phase}} 长春 </script> " * 300)[:5000],
    }[name]
    return text


BENIGN = "Plain name"
#: Environment variable holding the shell command of the quote-free template payload.
COMMAND_ENV = "ACG_TEST_COMMAND"


#: An overlay id carrying what an id may (printable, at most 64 characters): Markdown, HTML,
#: template and table tricks, for the overlays' outputs (issue 14).
OVERLAY_ID = "<img src=x>|{{7*7}}[% 7*7 %]*_`[x](http://evil)"
#: A class code in a SYNTHETIC survey layer: not in any class table, so the reports list it as
#: written (trimmed); every payload at once.
OVERLAY_CODE = "9" + ALL
