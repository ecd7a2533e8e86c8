"""Synthetic recipes of 4 … 1,000 components of one layer, for the components benchmark.

SYNTHETIC DATA, for benchmarks only: a grid of 0.01° cells west of Changchun (about 0.8 km ×
1.1 km each), written once into one GeoPackage with an ``id`` column, and one recipe per size
naming the first N cells as components (one block each, filtered by ``id``) — the shape of a
detailed plan delivered as one layer. Nothing here is geography.

Run: python benchmarks/components_data.py OUT_DIR 4 10 100 300 1000
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import shapely


def write(folder: Path, sizes: list[int]) -> list[Path]:
    """Write ``cells.gpkg`` and ``recipe_<N>.toml`` per size into ``folder``; return the recipes."""
    folder.mkdir(parents=True, exist_ok=True)
    largest = max(sizes)
    columns = 40
    cells = [
        shapely.box(x0, y0, x0 + 0.01, y0 + 0.01)
        for i in range(largest)
        for x0, y0 in [(125.0 + (i % columns) * 0.01, 43.6 + (i // columns) * 0.01)]
    ]
    frame = gpd.GeoDataFrame(
        {
            "id": [f"c{i:04d}" for i in range(largest)],
            "accuracy": "synthetic",
            "source": "synthetic benchmark grid",
        },
        geometry=cells,
        crs=4326,
    )
    frame.to_file(folder / "cells.gpkg", layer="cells", driver="GPKG")
    recipes = []
    for n in sizes:
        blocks = [
            f'[[components]]\nid = "c{i:04d}"\nname_en = "Synthetic cell {i}"\n'
            f'layer = "cells.gpkg"\nfilter = {{ id = "c{i:04d}" }}\n'
            for i in range(n)
        ]
        recipe = folder / f"recipe_{n}.toml"
        recipe.write_text(
            '# SYNTHETIC benchmark recipe: not geography.\n[city]\nname_en = "Synthetic grid"\n'
            f"target_km2 = {n * 0.9}\ntolerance_pct = 50.0\n\n" + "\n".join(blocks),
            encoding="utf-8",
        )
        recipes.append(recipe)
    return recipes


if __name__ == "__main__":
    for path in write(Path(sys.argv[1]), [int(n) for n in sys.argv[2:]]):
        print(path)
