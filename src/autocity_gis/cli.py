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
a recipe or a layer can neither break the line nor drive the terminal. Heavy imports happen
inside the commands so that ``--help`` answers at once.
"""

from __future__ import annotations

import datetime
import functools
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from ._text import for_terminal

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
# Kept here (not imported from webmap/export) so --help does not load folium or geopandas;
# tests check they match the library's lists.
BASEMAP_NAMES = ("osm", "amap", "amap-satellite", "tianditu", "tianditu-satellite", "none")
LANGS = ("en", "zh")
FORMAT_NAMES = ("gpkg", "qgs", "shp", "geojson", "kml", "dxf", "pdf", "png")

F = TypeVar("F", bound=Callable[..., Any])


class Failure(click.ClickException):
    """A failure reported as one terminal-safe line on stderr; subclasses set the status."""

    exit_code = EXIT_INTERNAL

    def show(self, file: Any = None) -> None:
        """Print the one-line message to stderr."""
        click.echo(f"autocity-gis: {for_terminal(self.format_message())}", err=True)


class BadInput(Failure):
    """Bad input or a refused action: one line, exit status 2."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(f"error: {message}")


class InternalError(Failure):
    """A bug: one line naming the log file that holds the traceback, exit status 3."""

    exit_code = EXIT_INTERNAL


class Interrupted(Failure):
    """Ctrl-C: one line saying what was left as it was, exit status 130."""

    exit_code = EXIT_INTERRUPTED


def log_dir() -> Path:
    """Return where tracebacks of internal errors go: ``$XDG_STATE_HOME/autocity-gis``.

    ``~/.local/state/autocity-gis`` without ``XDG_STATE_HOME``; the system's temporary folder
    when neither can be created.
    """
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    for folder in (Path(state) / "autocity-gis", Path(tempfile.gettempdir()) / "autocity-gis"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if os.access(folder, os.W_OK | os.X_OK):
                return folder
        except OSError:
            continue
    return Path(tempfile.gettempdir())


def _log_internal_error(exc: BaseException) -> Path | None:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        path = log_dir() / f"crash-{stamp}-{os.getpid()}.log"
        with path.open("w", encoding="utf-8") as f:
            f.write(f"autocity-gis {__version__}, Python {sys.version.split()[0]}\n")
            f.write(f"command: {' '.join(map(repr, sys.argv))}\n\n")
            f.write("".join(traceback.format_exception(exc)))
        return path
    except OSError:
        return None


def _exit_statuses(func: F) -> F:
    """Turn every outcome of a command into its exit status and at most one line."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ._errors import InputError
        from ._output import reset_outcome

        reset_outcome()
        try:
            return func(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except InputError as exc:
            raise BadInput(str(exc)) from None
        except KeyboardInterrupt:
            from ._output import interrupted_note

            raise Interrupted(f"interrupted; {interrupted_note()}.") from None
        except Exception as exc:
            from ._output import is_disk_full

            if is_disk_full(exc):
                raise BadInput(
                    f"the disk is full ({exc}); the previous outputs were left as they were."
                ) from None
            log = _log_internal_error(exc)
            where = f"the traceback is in {log}" if log else "no log file could be written"
            detail = str(exc)
            detail = detail if len(detail) <= 300 else f"{detail[:300]}…"  # whole in the log
            raise InternalError(
                f"internal error ({type(exc).__name__}: {detail}); {where} -- this is a bug in "
                "autocity-gis, please report it with that file."
            ) from None

    return wrapper  # type: ignore[return-value]


class _Reporter:
    """Progress lines on stderr, quieter or louder with -q/-v."""

    def __init__(self, verbosity: int) -> None:
        self.verbosity = verbosity

    def step(self, message: str) -> None:
        if self.verbosity >= 0:
            click.echo(f"· {for_terminal(message)}", err=True)

    def out(self, message: str = "") -> None:
        if self.verbosity >= -1:
            click.echo(for_terminal(message))

    def warnings(self, report: Any) -> None:
        """Each warning of a check on one line after the verdict; hidden by -q."""
        from .report import warning_lines

        if self.verbosity >= 0:
            for line in warning_lines(report):
                click.echo(line)


#: The recipe a command uses when given none and the current folder holds one.
LOCAL_RECIPE = Path("autocity.toml")


def recipe_opt(func: F) -> F:
    """``--recipe``, defaulting to ``./autocity.toml`` when present, else the embedded city."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("recipe") is None and LOCAL_RECIPE.is_file():
            kwargs["recipe"] = LOCAL_RECIPE
            if not kwargs.get("quiet"):
                click.echo(
                    f"· using the recipe ./{LOCAL_RECIPE} found in this folder (--recipe "
                    "chooses another)",
                    err=True,
                )
        return func(*args, **kwargs)

    option = click.option(
        "--recipe",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=f"Recipe TOML describing the composition [default: ./{LOCAL_RECIPE} when the "
        "current folder has one, else the embedded Auto City recipe].",
    )
    return option(wrapper)  # type: ignore[return-value]


def out_dir_opt(help_text: str) -> Callable[[F], F]:
    """``--out`` for commands that write a folder (default ``out``)."""
    return click.option(
        "--out",
        # A plain string: click would turn '' into Path('.'), the current folder.
        type=str,
        metavar="FOLDER",
        default="out",
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
    from .export import output_crs

    try:
        output_crs(value)
    except InputError as exc:
        raise BadInput(str(exc)) from None
    return value


#: Gauss–Krüger zones named in ``--help`` (kept here so --help does not import pyproj; a test
#: checks them against :data:`autocity_gis.export.NAMED_CRS`).
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
        type=click.Choice(FORMAT_NAMES),
        multiple=True,
        help="Hand-off format; repeat for several. dxf draws the layers for CAD in the "
        "CGCS2000 Gauss–Krüger zone of the data; pdf and png render the QGIS print layout "
        "(needs QGIS) [default: all but dxf, pdf, png].",
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

    Exit status: 0 ok, 1 area check failed (outputs written), 2 bad input or refused
    action, 3 internal error (see the log file named), 130 interrupted.
    """


@cli.command()
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
@verbose_opt
@quiet_opt
@_exit_statuses
def build(
    recipe: Path | None,
    out: str,
    overwrite: bool,
    offline: bool,
    basemap: str | None,
    lang: str,
    tianditu_key: str | None,
    keep_key: bool,
    formats: tuple[str, ...],
    crs: str | None,
    gauss_kruger: bool,
    verbose: int,
    quiet: int,
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
      $ autocity-gis build --crs EPSG:4551             # hand-offs in CGCS2000 GK CM 126°E
    Exit status: 0 check passed, 1 check failed (outputs written), 2 bad input or refused
    --out, 3 internal error, 130 interrupted.
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
        crs=crs,
        overwrite=overwrite,
        progress=say.step,
    )
    for line in summary_lines(result.report, lang=lang):
        say.out(line)
    say.warnings(result.report)
    page = result.map_path or result.out_dir
    if lang == "zh":
        say.out(f"已写入 {len(result.files)} 个文件到 {result.out_dir}/")
        say.out(f"  网页地图 {page}（{result.map_bytes / 1e6:.2f} MB）")
    else:
        say.out(f"wrote {len(result.files)} files into {result.out_dir}/")
        say.out(f"  web map {page} ({result.map_bytes / 1e6:.2f} MB)")
    sys.exit(EXIT_OK if result.report.passed else EXIT_CHECK_FAILED)


@cli.command()
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
@verbose_opt
@quiet_opt
@_exit_statuses
def validate(
    recipe: Path | None, as_json: bool, out: str | None, lang: str, verbose: int, quiet: int
) -> None:
    """Check the composed area against the stated area.

    Measures the composed boundary and each component geodesically on the WGS 84 ellipsoid
    and compares them with the stated figures; lists overlaps, gaps and missing components.

    \b
    Examples:
      $ autocity-gis validate
      $ autocity-gis validate --recipe my/recipe.toml --json > report.json
    Exit status: 0 within tolerance, 1 outside it, 2 bad input, 3 internal error,
    130 interrupted.
    """
    from .api import check, write_reports_to
    from .report import summary_lines, to_json

    say = _Reporter(verbose - quiet - (1 if as_json else 0))
    if out is not None:
        report = write_reports_to(recipe, out, lang=lang, progress=say.step)
    else:
        _, _, report = check(recipe, progress=say.step)
    if as_json:
        click.echo(to_json(report), nl=False)
    else:
        for line in summary_lines(report, lang=lang):
            say.out(line)
        say.warnings(report)
    sys.exit(EXIT_OK if report.passed else EXIT_CHECK_FAILED)


@cli.command(name="map")
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
@verbose_opt
@quiet_opt
@_exit_statuses
def map_(
    recipe: Path | None,
    out: str | None,
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
    Exit status: 0 written, 2 bad input or refused --out, 3 internal error, 130 interrupted.
    """
    from .api import write_web_map

    say = _Reporter(verbose - quiet)
    _, page = write_web_map(
        recipe,
        out,
        offline=offline,
        lang=lang,
        tianditu_key=tianditu_key,
        keep_key=keep_key,
        basemap=basemap,
        progress=say.step,
    )
    say.out(f"wrote {page.path} ({page.bytes / 1e6:.2f} MB)")


@cli.command()
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
@verbose_opt
@quiet_opt
@_exit_statuses
def export(
    recipe: Path | None,
    out: str,
    formats: tuple[str, ...],
    crs: str | None,
    gauss_kruger: bool,
    lang: str,
    verbose: int,
    quiet: int,
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

    say = _Reporter(verbose - quiet)
    files = run_export(
        recipe,
        out,
        formats=formats or None,
        gauss_kruger=gauss_kruger,
        crs=crs,
        lang=lang,
        progress=say.step,
    )
    for path in files:
        say.out(str(path))


@cli.command()
@click.argument("layers", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("autocity.toml"),
    show_default=True,
    help="Recipe file to create (never over an existing file).",
)
@verbose_opt
@quiet_opt
@_exit_statuses
def init(layers: tuple[Path, ...], out: Path, verbose: int, quiet: int) -> None:
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

    say = _Reporter(verbose - quiet)
    target, summaries = write_starter(layers, out)
    for s in summaries:
        where = f"{s.path.name}" + (f", layer {s.layer_name}" if s.layer_name else "")
        say.out(
            for_terminal(
                f"{where}: {s.features} polygon feature(s), CRS {s.crs or 'not declared'}, "
                f"id column {s.id_column or 'none found'}"
            )
        )
    say.out(for_terminal(f"wrote {target}: fill in target_km2 and the stated areas"))


def main() -> None:
    """Entry point of the ``autocity-gis`` console script."""
    # Keep Python warnings from libraries off the user's screen unless asked for.
    if not sys.warnoptions and "AUTOCITY_GIS_WARNINGS" not in os.environ:
        import warnings

        warnings.simplefilter("ignore")
    try:
        status = cli.main(prog_name="autocity-gis", standalone_mode=False)
    except click.exceptions.Abort:
        # Ctrl-C outside a command body (click turns it into Abort, which would exit 1).
        from ._output import interrupted_note

        Interrupted(f"interrupted; {interrupted_note()}.").show()
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(status if isinstance(status, int) else EXIT_OK)
