"""Regenerate the README's pictures from the current outputs of the embedded recipe.

    python scripts/screenshots.py          # or: make docs

Builds the embedded Auto City with the installed ``autocity-gis`` command into a temporary folder
and takes, with the tools the test suite uses (Debian ``chromium`` driven by
``tests/browser/check.mjs``; QGIS through ``autocity-gis export --format png``):

- ``docs/map.png``: the default page with every request to the network blocked (the basemap
  tiles cannot load; the overlays, panels and the one-line notice must still be there);
- ``docs/map_offline.png``: the ``--offline`` page (no basemap at all);
- ``docs/map_zh.png``: the Chinese ``--offline`` page;
- ``docs/qgis_layout.png`` and ``docs/qgis_layout_zh.png``: the QGIS print layout as PNG.

Look at every picture after running it. Nothing outside ``docs/`` and the temporary folder is
written; existing pictures in ``docs/`` are replaced (they are this script's own outputs).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
CHECK = REPO / "tests" / "browser" / "check.mjs"
COMMAND = Path(sys.executable).with_name("autocity-gis")


def run(*args: str | Path, ok: tuple[int, ...] = (0,)) -> None:
    """Run a command; exit 1 (the honest FAIL of the embedded data) counts as done for builds."""
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False)
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")


def page(folder: Path, name: str, *options: str) -> Path:
    """Write the embedded city's web map with ``options`` and return its path."""
    out = folder / name
    run(COMMAND, "-q", "map", "--out", out, *options, ok=(0, 1))
    return out


def shoot(html: Path, png: Path) -> None:
    """Screenshot ``html`` in headless Chromium with the network blocked."""
    run("node", CHECK, html, html.with_suffix(".json"), png)
    print(f"wrote {png.relative_to(REPO)}")


def layout(folder: Path, lang: str, png: Path) -> None:
    """Render the QGIS print layout in ``lang`` to ``png`` through real QGIS."""
    out = folder / f"layout-{lang}"
    run(COMMAND, "-q", "export", "--format", "png", "--lang", lang, "--out", out, ok=(0, 1))
    drawn = next(out.glob("*.png"))
    shutil.copyfile(drawn, png)
    print(f"wrote {png.relative_to(REPO)}")


def main() -> None:
    """Write every README picture into ``docs/``."""
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="acg-docs-") as tmp:
        folder = Path(tmp)
        shoot(page(folder, "online.html"), DOCS / "map.png")
        shoot(page(folder, "offline.html", "--offline"), DOCS / "map_offline.png")
        shoot(page(folder, "zh.html", "--offline", "--lang", "zh"), DOCS / "map_zh.png")
        layout(folder, "en", DOCS / "qgis_layout.png")
        layout(folder, "zh", DOCS / "qgis_layout_zh.png")


if __name__ == "__main__":
    main()
