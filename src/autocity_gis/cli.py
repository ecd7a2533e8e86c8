"""The ``autocity-gis`` command line: a thin layer over :mod:`autocity_gis.api`.

Each command parses its options, calls the library and turns the outcome into an exit status:
0 when all went well, 1 when the area check failed (outputs are still written), 2 for bad input
(one sentence on stderr, no traceback). Heavy imports happen inside the commands so that
``--help`` answers at once.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2
# Kept here (not imported from webmap/export) so --help does not load folium or geopandas;
# tests check they match the library's lists.
BASEMAP_NAMES = ("osm", "amap", "amap-satellite", "tianditu", "tianditu-satellite", "none")
LANGS = ("en", "zh")
FORMAT_NAMES = ("gpkg", "qgs", "shp", "geojson", "kml")

F = TypeVar("F", bound=Callable[..., Any])


class BadInput(click.ClickException):
    """Bad input reported as one line with exit status 2."""

    exit_code = EXIT_BAD_INPUT

    def show(self, file: Any = None) -> None:
        """Print the one-line message to stderr."""
        click.echo(f"autocity-gis: error: {self.format_message()}", err=True)


def _reports_bad_input(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ._errors import InputError

        try:
            return func(*args, **kwargs)
        except InputError as exc:
            raise BadInput(str(exc)) from None

    return wrapper  # type: ignore[return-value]


class _Reporter:
    """Progress lines on stderr, quieter or louder with -q/-v."""

    def __init__(self, verbosity: int) -> None:
        self.verbosity = verbosity

    def step(self, message: str) -> None:
        if self.verbosity >= 0:
            click.echo(f"· {message}", err=True)

    def out(self, message: str = "") -> None:
        if self.verbosity >= -1:
            click.echo(message)


recipe_opt = click.option(
    "--recipe",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Recipe TOML describing the composition [default: the embedded Auto City recipe].",
)


def out_dir_opt(help_text: str) -> Callable[[F], F]:
    """``--out`` for commands that write a folder (default ``out``)."""
    return click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("out"),
        show_default=True,
        help=help_text,
    )


verbose_opt = click.option("-v", "--verbose", count=True, help="More output.")
quiet_opt = click.option(
    "-q", "--quiet", count=True, help="Less output (-q: no progress, -qq: nothing)."
)


def map_options(func: F) -> F:
    """Options shared by ``build`` and ``map``."""
    for option in reversed(
        [
            click.option(
                "--offline",
                is_flag=True,
                help="One self-contained HTML file that makes no network request "
                "(basemap defaults to none).",
            ),
            click.option(
                "--basemap",
                type=click.Choice(BASEMAP_NAMES),
                default=None,
                help="Background map: osm (WGS 84), amap / amap-satellite (GCJ-02: overlays "
                "are shifted to match), tianditu / tianditu-satellite (CGCS2000, need a key), none "
                "[default: osm, or none with --offline].",
            ),
            click.option(
                "--lang",
                type=click.Choice(LANGS),
                default="en",
                show_default=True,
                help="Language of labels.",
            ),
            click.option(
                "--tianditu-key",
                envvar="TIANDITU_KEY",
                default=None,
                help="Tianditu key (or set TIANDITU_KEY). Not stored in the page "
                "unless --keep-key.",
            ),
            click.option(
                "--keep-key", is_flag=True, help="Store the Tianditu key in the written page."
            ),
        ]
    ):
        func = option(func)
    return func


def export_options(func: F) -> F:
    """Options shared by ``build`` and ``export``."""
    func = click.option(
        "--gauss-kruger",
        is_flag=True,
        help="Also write GeoPackage layers in CGCS2000 3-degree Gauss–Krüger (CM 126°E).",
    )(func)
    func = click.option(
        "--format",
        "formats",
        type=click.Choice(FORMAT_NAMES),
        multiple=True,
        help="Hand-off format; repeat for several [default: all].",
    )(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="autocity-gis")
def cli() -> None:
    """Compose the boundary of the Changchun International Automobile City, check its area
    against the stated 471 km², and publish it as a web map and QGIS layers.

    \b
    Start with the embedded data:
      $ autocity-gis build              # everything into out/
      $ autocity-gis validate           # just the area check (exit 1 if it fails)
    Then point it at your own layers with a recipe (see geodata/autocity.toml):
      $ autocity-gis build --recipe my/recipe.toml --out my-out

    Exit status: 0 ok, 1 area check failed, 2 bad input.
    """


@cli.command()
@recipe_opt
@out_dir_opt("Output folder; an earlier build there is replaced whole.")
@click.option(
    "--overwrite", is_flag=True, help="Replace --out even if autocity-gis did not write it."
)
@map_options
@export_options
@verbose_opt
@quiet_opt
@_reports_bad_input
def build(
    recipe: Path | None,
    out: Path,
    overwrite: bool,
    offline: bool,
    basemap: str | None,
    lang: str,
    tianditu_key: str | None,
    keep_key: bool,
    formats: tuple[str, ...],
    gauss_kruger: bool,
    verbose: int,
    quiet: int,
) -> None:
    """Compose, check and write every output.

    Writes into --out: autocity_map.html (web map), report.json and report.md (area check),
    boundary.geojson and components.geojson (RFC 7946), autocity.gpkg with embedded styles,
    autocity.qgs, and Shapefile/GeoJSON/KML hand-offs. The folder is replaced only when all
    of it was written.

    \b
    Examples:
      $ autocity-gis build
      $ autocity-gis build --offline --out share/      # for an intranet without internet
      $ autocity-gis build --basemap amap --lang zh    # Amap tiles, overlays in GCJ-02
    Exit status: 0 check passed, 1 check failed (outputs written), 2 bad input.
    """
    from .api import build as run_build
    from .report import summary_lines

    say = _Reporter(verbose - quiet)
    result = run_build(
        recipe,
        out,
        offline=offline,
        basemap=basemap,
        lang=lang,
        tianditu_key=tianditu_key,
        keep_key=keep_key,
        formats=formats or None,
        gauss_kruger=gauss_kruger,
        overwrite=overwrite,
        progress=say.step,
    )
    for line in summary_lines(result.report):
        say.out(line)
    say.out(f"wrote {len(result.files)} files into {result.out_dir}/")
    say.out(f"  web map {result.out_dir / 'autocity_map.html'} ({result.map_bytes / 1e6:.2f} MB)")
    sys.exit(EXIT_OK if result.report.passed else EXIT_CHECK_FAILED)


@cli.command()
@recipe_opt
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write report.json and report.md into this folder.",
)
@verbose_opt
@quiet_opt
@_reports_bad_input
def validate(
    recipe: Path | None, as_json: bool, out: Path | None, verbose: int, quiet: int
) -> None:
    """Check the composed area against the stated area.

    Measures the composed boundary and each component geodesically on the WGS 84 ellipsoid
    and compares them with the stated figures; lists overlaps, gaps and missing components.

    \b
    Examples:
      $ autocity-gis validate
      $ autocity-gis validate --recipe my/recipe.toml --json > report.json
    Exit status: 0 within tolerance, 1 outside it, 2 bad input.
    """
    from .api import check
    from .report import summary_lines, to_json, write_reports

    say = _Reporter(verbose - quiet - (1 if as_json else 0))
    _, _, report = check(recipe, progress=say.step)
    if out is not None:
        write_reports(report, out)
    if as_json:
        click.echo(to_json(report), nl=False)
    else:
        for line in summary_lines(report):
            say.out(line)
    sys.exit(EXIT_OK if report.passed else EXIT_CHECK_FAILED)


@cli.command(name="map")
@recipe_opt
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("out") / "autocity_map.html",
    show_default=True,
    help="HTML file to write.",
)
@map_options
@verbose_opt
@quiet_opt
@_reports_bad_input
def map_(
    recipe: Path | None,
    out: Path,
    offline: bool,
    basemap: str | None,
    lang: str,
    tianditu_key: str | None,
    keep_key: bool,
    verbose: int,
    quiet: int,
) -> None:
    """Write only the interactive web map.

    \b
    Examples:
      $ autocity-gis map --offline --out autocity.html
      $ autocity-gis map --basemap tianditu --tianditu-key KEY
    """
    from .api import check
    from .webmap import write_map

    say = _Reporter(verbose - quiet)
    _, composition, report = check(recipe, progress=say.step)
    say.step("drawing the web map")
    page = write_map(
        composition,
        report,
        out,
        offline=offline,
        lang=lang,
        tianditu_key=tianditu_key,
        keep_key=keep_key,
        basemap=basemap,
    )
    say.out(f"wrote {page.path} ({page.bytes / 1e6:.2f} MB)")


@cli.command()
@recipe_opt
@out_dir_opt("Folder for the GeoPackage, QGIS project and hand-off files.")
@export_options
@verbose_opt
@quiet_opt
@_reports_bad_input
def export(
    recipe: Path | None,
    out: Path,
    formats: tuple[str, ...],
    gauss_kruger: bool,
    verbose: int,
    quiet: int,
) -> None:
    """Write the layers for QGIS and other GIS: GeoPackage with styles, QGIS project,
    Shapefile (UTF-8, .cpg), GeoJSON and KML.

    \b
    Examples:
      $ autocity-gis export --out qgis/ && qgis qgis/autocity.qgs
      $ autocity-gis export --format shp --format kml
    """
    from .api import export as run_export

    say = _Reporter(verbose - quiet)
    files = run_export(
        recipe, out, formats=formats or None, gauss_kruger=gauss_kruger, progress=say.step
    )
    for path in files:
        say.out(str(path))


def main() -> None:
    """Entry point of the ``autocity-gis`` console script."""
    # Keep Python warnings from libraries off the user's screen unless asked for.
    if not sys.warnoptions and "AUTOCITY_GIS_WARNINGS" not in os.environ:
        import warnings

        warnings.simplefilter("ignore")
    cli(prog_name="autocity-gis")
