"""Write src/autocity_gis/webmap/assets/page.html: the web map's fixed page, as folium renders it.

A page is written without importing folium (0.13 s of every build): its fixed shell -- Leaflet,
the vendored plugins' links, the map's div and the call of the page's own script, no data -- is
read from that file. Run this after upgrading folium or changing ``webmap/_folium.py``;
``tests/test_webmap.py`` fails until the file matches what folium renders.

    python scripts/make_page_shell.py
"""

from __future__ import annotations

from pathlib import Path

from autocity_gis.webmap._folium import shell_asset

TARGET = Path(__file__).resolve().parents[1] / "src/autocity_gis/webmap/assets/page.html"

if __name__ == "__main__":
    TARGET.write_text(shell_asset(), encoding="utf-8")
    print(f"wrote {TARGET}")
