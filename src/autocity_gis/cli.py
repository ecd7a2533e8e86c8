"""The ``autocity-gis`` command line: a thin layer over :mod:`autocity_gis.api`.

Each command parses its options, calls the library and turns the outcome into an exit status
that means one thing:

* 0 -- all went well (the area check passed);
* 1 -- the area check failed; the outputs were still written;
* 2 -- bad input or a refused action (a recipe, a layer, an output folder the policy refuses, a
  full disk): one line on stderr, no traceback;
* 3 -- an internal error (a bug): one line on stderr naming the log file that holds the
  traceback;
* 130 -- interrupted (Ctrl-C): one line saying what was left as it was.

Every line about an error passes through :func:`autocity_gis._text.for_terminal`, so text from
a recipe or a layer can neither break the line nor drive the terminal. ``-q``/``-v`` are
accepted before and after the command and mapped to a log level once; progress and detail are
log records of the ``autocity_gis`` logger (see :mod:`autocity_gis._cli` and
:mod:`autocity_gis._log`). Heavy imports happen inside the commands so that ``--help``
answers at once.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from . import __version__
from ._cli import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    LOCAL_RECIPE,
    BadInput,
    Failure,
    InternalError,
    Interrupted,
    Output,
    command_body,
    engine_options,
    log_dir,
    out_dir_opt,
    recipe_opt,
    verbosity,
    verbosity_options,
)
from ._types import BASEMAP_NAMES, FORMATS, LANGS, Engine, Format, Lang

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CHECK_FAILED",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "LOCAL_RECIPE",
    "BadInput",
    "Failure",
    "InternalError",
    "Interrupted",
    "cli",
    "log_dir",
    "main",
]

if TYPE_CHECKING:
    from .api import BuildResult

#: The choices of --format (the closed sets live in :mod:`autocity_gis._types`).
FORMAT_NAMES = FORMATS

F = TypeVar("F", bound=Callable[..., Any])


def map_options(func: F) -> F:
    """Options shared by ``build`` and ``map``."""
    for option in reversed(
        [
            click.option(
                "--offline",
                is_flag=True,
                help="No basemap tiles either, so the page makes no network request at all "
                "(basemap defaults to none). Every page carries its scripts and data and draws "
                "its overlays without network; this also drops the tiles.",
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


def _projected_crs(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse a geographic or non-metre ``--crs`` at once: one line, exit status 2."""
    if value is None:
        return None
    from ._errors import InputError
    from ._export import output_crs

    try:
        output_crs(value)
    except InputError as exc:
        raise BadInput(str(exc)) from None
    return value


#: Gauss–Krüger zones named in ``--help`` (kept here so --help does not import pyproj; a test
#: checks them against :data:`autocity_gis._export.NAMED_CRS`).
NAMED_CRS_HELP = (
    "EPSG:4551 (CGCS2000 3° GK CM 126°E), EPSG:4550 (CM 123°E), EPSG:4530 (zone 42, CM 126°E, "
    "easting with the zone prefix), EPSG:4529 (zone 41)"
)


def export_options(func: F) -> F:
    """Options shared by ``build`` and ``export``."""
    func = click.option(
        "--crs",
        "crs",
        metavar="EPSG:NNNN",
        default=None,
        callback=_projected_crs,
        help="Projected CRS in metres for the GeoPackage, Shapefile, DXF and QGIS project, e.g. "
        f"{NAMED_CRS_HELP}. GeoJSON and KML stay WGS 84 (RFC 7946, KML 2.2) "
        "[default: WGS 84; DXF in the data's Gauss–Krüger zone].",
    )(func)
    func = click.option(
        "--gauss-kruger",
        is_flag=True,
        help="Short for --crs with the CGCS2000 3° Gauss–Krüger zone of the data (e.g. "
        "EPSG:4551 at Changchun).",
    )(func)
    func = click.option(
        "--format",
        "formats",
        type=click.Choice(FORMATS),
        multiple=True,
        help="Hand-off format; repeat for several. dxf draws the layers for CAD in the "
        "CGCS2000 Gauss–Krüger zone of the data; pdf and png render the QGIS print layout "
        "(needs QGIS) [default: all but dxf, pdf, png].",
    )(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="autocity-gis")
@verbosity_options
def cli() -> None:
    """Compose the boundary of the Changchun International Automobile City, check its area
    against the stated 471 km², and publish it as a web map and QGIS layers.

    \b
    Start with the embedded data:
      $ autocity-gis build              # everything into out/
      $ autocity-gis validate           # just the area check (exit 1 if it fails)
    Then point it at your own layers with a recipe (see geodata/autocity.toml):
      $ autocity-gis build --recipe my/recipe.toml --out my-out

    -q/-v work here and after each command (autocity-gis -q build = autocity-gis build -q).
    Exit status: 0 ok, 1 area check failed (outputs written), 2 bad input or refused
    action, 3 internal error (see the log file named), 130 interrupted.
    """


@cli.command()
@command_body
@recipe_opt
@out_dir_opt(
    "Output folder; an earlier build there is replaced whole. Never the current folder or a "
    "folder holding the recipe or its layers."
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Write into a folder holding files autocity-gis did not write: they stay untouched, "
    "the outputs go beside them.",
)
@map_options
@export_options
@engine_options
@verbosity_options
def build(
    recipe: Path | None,
    out: str,
    overwrite: bool,
    formats: tuple[Format, ...],
    crs: str | None,
    gauss_kruger: bool,
    engine: Engine | None,
    scheduler: str | None,
    **map_options: Any,
) -> None:
    """Compose, check and write every output.

    Writes into --out, named after the recipe's [city] id (autocity for the embedded one):
    ID_map.html (web map), report.json and report.md (area check), boundary.geojson and
    components.geojson (RFC 7946), ID.gpkg with embedded styles, ID.qgs, and
    Shapefile/GeoJSON/KML hand-offs. The folder is replaced only when all of it was written;
    files autocity-gis did not write are never replaced or removed. --lang zh writes
    report.md, the terminal summary, the map and the QGIS layout in Chinese.

    \b
    Examples:
      $ autocity-gis build
      $ autocity-gis build --offline --out share/      # for an intranet without internet
      $ autocity-gis build --basemap amap --lang zh    # Amap tiles, overlays in GCJ-02
      $ autocity-gis build --crs EPSG:4551 -v          # hand-offs in CGCS2000 GK CM 126°E
      $ autocity-gis build --engine dask --scheduler tcp://10.0.0.5:8786   # overlays on Dask
    Exit status: 0 check passed (with every control line of the recipe's [[overlays]]),
    1 check failed (outputs written), 2 bad input or refused
    --out, 3 internal error, 130 interrupted.
    """
    from .api import build as run_build

    _settle_imports()
    result = run_build(
        recipe,
        out,
        formats=formats or None,
        gauss_kruger=gauss_kruger,
        crs=crs,
        overwrite=overwrite,
        engine=engine,
        scheduler=scheduler,
        **map_options,
    )
    _summarise_build(result, map_options["lang"])
    sys.exit(EXIT_OK if result.report.passed else EXIT_CHECK_FAILED)


def _summarise_build(result: BuildResult, lang: Lang) -> None:
    from .report import summary_lines

    say = Output()
    for line in summary_lines(result.report, lang=lang, overlays=result.overlays):
        say.out(line)
    say.warnings(result, lang)  # with what the hand-off files had to shorten
    page = result.map_path or result.out_dir
    if lang == "zh":
        say.out(f"已写入 {len(result.files)} 个文件到 {result.out_dir}/")
        say.out(f"  网页地图 {page}（{result.map_bytes / 1e6:.2f} MB）")
    else:
        say.out(f"wrote {len(result.files)} files into {result.out_dir}/")
        say.out(f"  web map {page} ({result.map_bytes / 1e6:.2f} MB)")


@cli.command()
@command_body
@recipe_opt
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--out",
    type=str,
    metavar="FOLDER",
    default=None,
    help="Also write report.json and report.md into this folder (earlier reports written by "
    "autocity-gis are replaced; other files are kept).",
)
@click.option(
    "--lang",
    type=click.Choice(LANGS),
    default="en",
    show_default=True,
    help="Language of the summary and report.md (report.json is the same in both).",
)
@engine_options
@verbosity_options
def validate(
    recipe: Path | None,
    as_json: bool,
    out: str | None,
    lang: Lang,
    engine: Engine | None,
    scheduler: str | None,
) -> None:
    """Check the composed area against the stated area.

    Measures the composed boundary and each component geodesically on the WGS 84 ellipsoid
    and compares them with the stated figures; lists overlaps, gaps and missing components.
    The recipe's [[overlays]] add land-use balance tables and control lines, which must pass.

    \b
    Examples:
      $ autocity-gis validate
      $ autocity-gis validate --recipe my/recipe.toml --json > report.json
    Exit status: 0 within tolerance, 1 outside it, 2 bad input, 3 internal error,
    130 interrupted.
    """
    import logging

    from ._log import LOGGER_NAME, level_for
    from .api import check, check_overlays, reports_and_overlays_to
    from .report import summary_lines, to_json

    if as_json:  # the JSON is the output: no progress lines unless -v asks for them
        logging.getLogger(LOGGER_NAME).setLevel(level_for(verbosity() - 1))
    if out is not None:
        report, overlays = reports_and_overlays_to(
            recipe, out, lang=lang, engine=engine, scheduler=scheduler
        )
    else:
        loaded, composition, report = check(recipe)
        report, overlays = check_overlays(
            loaded, composition, report, engine=engine, scheduler=scheduler
        )
    if as_json:
        click.echo(to_json(report, overlays=overlays), nl=False)
    else:
        say = Output()
        for line in summary_lines(report, lang=lang, overlays=overlays):
            say.out(line)
        say.warnings(report, lang)
    sys.exit(EXIT_OK if report.passed else EXIT_CHECK_FAILED)


@cli.command(name="map")
@command_body
@recipe_opt
@click.option(
    "--out",
    type=str,
    metavar="FILE",
    default=None,
    help="HTML file to write (an existing one is replaced only if autocity-gis wrote it) "
    "[default: out/ID_map.html, ID the recipe's [city] id: out/autocity_map.html for the "
    "embedded recipe].",
)
@map_options
@verbosity_options
def map_(recipe: Path | None, out: str | None, **map_options: Any) -> None:
    """Write only the interactive web map.

    \b
    Examples:
      $ autocity-gis map --offline --out autocity.html
      $ autocity-gis map --basemap tianditu --tianditu-key KEY
    Exit status: 0 written, 2 bad input or refused --out, 3 internal error, 130 interrupted.
    """
    from .api import write_web_map

    _, page = write_web_map(recipe, out, **map_options)
    Output().out(f"wrote {page.path} ({page.bytes / 1e6:.2f} MB)")


@cli.command()
@command_body
@recipe_opt
@out_dir_opt("Folder for the GeoPackage, QGIS project and hand-off files.")
@export_options
@click.option(
    "--lang",
    type=click.Choice(LANGS),
    default="en",
    show_default=True,
    help="Language of the QGIS print layout and legend.",
)
@verbosity_options
def export(
    recipe: Path | None,
    out: str,
    formats: tuple[Format, ...],
    crs: str | None,
    gauss_kruger: bool,
    lang: Lang,
) -> None:
    """Write the layers for QGIS and other GIS: GeoPackage with styles, QGIS project,
    Shapefile (UTF-8, .cpg), GeoJSON and KML.

    \b
    Examples:
      $ autocity-gis export --out qgis/ && qgis qgis/autocity.qgs
      $ autocity-gis export --format shp --format kml
      $ autocity-gis export --crs EPSG:4551 --format dxf --format shp
    Earlier hand-off files written by autocity-gis are replaced together; other files in
    --out are kept, and one with the name of an output is refused.
    Exit status: 0 written, 2 bad input or refused --out, 3 internal error, 130 interrupted.
    """
    from .api import export as run_export

    files = run_export(
        recipe, out, formats=formats or None, gauss_kruger=gauss_kruger, crs=crs, lang=lang
    )
    say = Output()
    for path in files:
        say.out(str(path))


@cli.command()
@command_body
@click.argument("layers", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("autocity.toml"),
    show_default=True,
    help="Recipe file to create (never over an existing file).",
)
@verbosity_options
def init(layers: tuple[Path, ...], out: Path) -> None:
    """Write a starter recipe from your layer files.

    Reads each file (GeoPackage, Shapefile, GeoJSON, DXF, File Geodatabase, ...), lists its
    layers, CRS and columns, picks the columns that look like an id, a name and an area, and
    writes one component per id, with comments where only you know the answer: the stated
    areas and where they were published.

    \b
    Examples:
      $ autocity-gis init bureau/zones.gpkg
      $ autocity-gis init institute/zones.dxf --out plan.toml
      $ autocity-gis validate --recipe plan.toml
    Exit status: 0 written, 2 bad input or an existing --out, 3 internal error.
    """
    from .starter import write_starter

    say = Output()
    target, summaries = write_starter(layers, out)
    for s in summaries:
        where = f"{s.path.name}" + (f", layer {s.layer_name}" if s.layer_name else "")
        say.out(
            f"{where}: {s.features} polygon feature(s), CRS {s.crs or 'not declared'}, "
            f"id column {s.id_column or 'none found'}"
        )
    say.out(f"wrote {target}: fill in target_km2 and the stated areas")


def main() -> None:
    """Entry point of the ``autocity-gis`` console script."""
    # Keep Python warnings from libraries off the user's screen unless asked for.
    if not sys.warnoptions and "AUTOCITY_GIS_WARNINGS" not in os.environ:
        import warnings

        warnings.simplefilter("ignore")
    try:
        status = cli.main(prog_name="autocity-gis", standalone_mode=False)
    except SystemExit as done:  # the commands end with sys.exit(status)
        if done.code is not None and not isinstance(done.code, int):
            raise  # a message to print: the normal exit does it
        status = done.code
    except click.exceptions.Abort:
        # Ctrl-C outside a command body (click turns it into Abort, which would exit 1).
        from ._output import interrupted_note

        Interrupted(f"interrupted; {interrupted_note()}.").show()
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        _exit(exc.exit_code)
    _exit(status if isinstance(status, int) else EXIT_OK)


def _settle_imports() -> None:
    # The modules just imported (pandas, geopandas, shapely, pyproj: ~100k objects) live as
    # long as the process. Frozen, the collector stops re-walking them at every full
    # collection the build's own allocations trigger (CPU per build: 1.08 -> 0.94 s measured,
    # freeze after the imports, interleaved runs). Nothing is leaked: frozen objects are still
    # freed normally when their reference count drops.
    import gc

    gc.freeze()


def _exit(status: int) -> NoReturn:
    """End the process with ``status``, without the interpreter's teardown when it can.

    Tearing down the modules a build imported frees pandas', geopandas' and folium's objects
    one by one (~30 ms of a 0.9 s build; its last garbage collection took ~0.1 s before the
    heap was frozen) only to return memory the OS takes back anyway. Every output was closed
    and committed before this; what the teardown would still do for us -- the atexit
    handlers (logging's flush, weakref finalizers) and flushing the streams -- is done here.
    Other threads still running (a library's) or a stream that cannot be flushed (a closed
    pipe) take the normal exit, which waits for them or reports it.
    """
    import atexit
    import gc
    import threading

    gc.disable()
    gc.freeze()
    if threading.active_count() == 1 and _flushed():
        atexit._run_exitfuncs()
        if _flushed():
            os._exit(status)
    sys.exit(status)


def _flushed() -> bool:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe or stream: the normal exit reports it
        return False
    return True
