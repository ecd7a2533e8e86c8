"""The whole job in one call: recipe → composition → check → every output, written safely.

:func:`build` is what ``autocity-gis build`` runs; :func:`export`, :func:`write_reports_to` and
:func:`write_web_map` back ``export``, ``validate --out`` and ``map --out``. All of them follow
one output policy (:mod:`autocity_gis._output`): the destination is vetted before any work,
outputs are written into a staging folder and put in place as one set, only files the toolkit
wrote (listed in the folder's manifest and unchanged) are ever replaced, and an interrupted run
is finished or undone by the next one.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _output
from ._errors import OutputError
from ._facts import HandOffNotes, MapFacts
from ._io import write_text
from ._log import Say, Steps, say_to, timed
from ._manifest import MANIFEST as MARKER  # noqa: F401  (the name earlier releases exported)
from ._overlay_run import check_overlays as check_overlays  # re-exported: the CLI uses it
from ._types import BasemapName, Engine, Format, Lang
from .composition import Composition, compose
from .limits import Limits
from .recipe import Recipe, load_recipe
from .report import to_json, to_markdown
from .validation import ValidationReport, validate

if TYPE_CHECKING:
    from ._overlay_run import OverlayResults
    from .handoff import Frames
    from .webmap import MapOutput

log = logging.getLogger(__name__)

MAP_NAME = "autocity_map.html"
REPORT_NAMES = ("report.json", "report.md")
#: What the API takes as a recipe: a TOML file, a loaded :class:`Recipe`, a dict of the TOML
#: structure whose layers may be GeoDataFrames (see :func:`autocity_gis.load_recipe`; for
#: file layers in a dict, load it with ``root=`` first), or None for the embedded recipe.
RecipeLike = str | Path | Recipe | Mapping[str, Any] | None


@dataclass(frozen=True)
class BuildResult:
    """What :func:`build` produced.

    Attributes
    ----------
    out_dir : Path
        The output folder.
    report : ValidationReport
        The area check (made before any output; it knows nothing of them).
    files : tuple of Path
        Every file written, inside ``out_dir``.
    map_bytes : int
        Size of the web map page.
    map_path : Path or None
        The web map page, ``<city id>_map.html`` inside ``out_dir``.
    map_facts : MapFacts
        The web map's simplification per layer and size (in ``report.md`` and ``report.json``).
    hand_off : HandOffNotes
        What the hand-off files had to shorten, and the CRS of each.
    overlays : OverlayResults or None
        The recipe's overlays (land-use balance tables, control-line verdicts); a failed
        control line has already failed ``report.passed``.
    """

    out_dir: Path
    report: ValidationReport
    files: tuple[Path, ...]
    map_bytes: int
    map_path: Path | None = None
    map_facts: MapFacts = field(default_factory=MapFacts)
    hand_off: HandOffNotes = field(default_factory=HandOffNotes)
    overlays: OverlayResults | None = None

    @property
    def warnings(self) -> tuple[str, ...]:
        """The check's warnings, then what the hand-off files had to shorten."""
        return (*self.report.warnings, *self.hand_off.warnings)


def check(
    recipe: RecipeLike = None,
    *,
    limits: Limits | None = None,
) -> tuple[Recipe, Composition, ValidationReport]:
    """Load a recipe, compose it and check its areas (no files written).

    Parameters
    ----------
    recipe : str, Path, Recipe or dict, optional
        A recipe file, a loaded recipe or a dict recipe whose layers may be GeoDataFrames;
        the embedded Automobile City recipe when omitted.
    limits : Limits, optional
        Resource limits for the recipe and its layers; the defaults, raised by the
        ``AUTOCITY_GIS_MAX_…`` environment variables, when omitted.

    Returns
    -------
    tuple
        ``(recipe, composition, report)``. The recipe's ``[[overlays]]`` are not run here:
        :func:`check_overlays` runs them and joins a failed control line to the verdict.
    """
    loaded = _load(recipe, limits)
    composition = compose(loaded, limits=limits)
    with timed(log, "checking the areas"):
        report = validate(composition, loaded)
    return loaded, composition, report


def inputs_of(recipe: Recipe) -> list[Path]:
    """Return the recipe file and every layer file it reads (no output may touch their folders).

    A dict recipe is no file, and a GeoDataFrame layer no file either: neither is listed.
    """
    paths = [recipe.path] if recipe.from_file else []
    sources = [recipe.context, *(c.source for c in recipe.components)]
    paths += [s.path for s in sources if s is not None and s.frame is None]
    paths += [o.path for o in recipe.overlays if o.frame is None]  # issue 14: overlay layers
    return list(dict.fromkeys(paths))


def _load(recipe: RecipeLike, limits: Limits | None) -> Recipe:
    return recipe if isinstance(recipe, Recipe) else load_recipe(recipe, limits=limits)


@contextmanager
def _writing(shown: str) -> Iterator[None]:
    # A full disk or a folder made read-only mid-run is the user's to fix, not a bug: one line.
    try:
        yield
    except OutputError:
        raise
    except Exception as exc:
        if isinstance(exc, OSError) or _output.is_disk_full(exc):
            raise _output.write_error(shown, exc) from exc
        raise


@dataclass(frozen=True)
class _Job:
    """A checked recipe and the staging folder its outputs are written into."""

    staging: Path
    composition: Composition
    report: ValidationReport
    say: Say
    overlays: OverlayResults | None = None


@contextmanager
def _job(
    recipe: RecipeLike,
    out: str | Path,
    *,
    command: str,
    names: Sequence[str],
    file: bool = False,
    replace_all: bool = False,
    overwrite: bool = False,
    limits: Limits | None,
    engine: Engine | None = None,
    scheduler: str | None = None,
) -> Iterator[_Job]:
    """Refuse a bad ``out`` before any work, then check the recipe and stage its outputs.

    What the block writes into ``job.staging`` replaces its namesakes in ``out`` (or, with
    ``file``, in the folder of the file ``out``) together when the block ends, under the output
    policy of :mod:`autocity_gis._output`; nothing changes if it raises.
    """
    say = Steps(log)
    loaded = _load(recipe, limits)
    if file:
        target = _output.check_out_file(out, inputs=inputs_of(loaded)).parent
        shown = str(Path(out).parent)
    else:
        target = _output.check_out_folder(out, inputs=inputs_of(loaded))
        shown = str(out)
    with _output.open_session(
        target,
        shown=shown,
        command=command,
        replace_all=replace_all,
        overwrite=overwrite,
        names=names,
        say=say_to(log),
    ) as session:
        log.debug("%s: staging the outputs in %s", command, session.staging)
        _, composition, report = check(loaded, limits=limits)
        report, overlays = check_overlays(
            loaded, composition, report, engine=engine, scheduler=scheduler
        )
        with _writing(shown):
            yield _Job(session.staging, composition, report, say, overlays)
            say.done()
            with timed(log, "putting the outputs in place in %s", shown):
                session.commit()


def _hand_off_frames(job: _Job) -> Frames:
    """Return the layer tables every hand-off writer takes, computed once per run.

    The composition's and the check's tables, and the overlays' land use and conflicts.
    """
    from ._overlay_draw import overlay_frames
    from .handoff import layer_frames

    frames = layer_frames(job.composition, job.report)
    frames.update(overlay_frames(job.overlays))
    return frames


def _hand_off_names(formats: Sequence[str], stem: str = "autocity") -> list[str]:
    from . import _export as hand_off

    names = hand_off.hand_off_names(formats, stem)
    return sorted({n for f in formats for n in names.get(f, [])})


#: The id :mod:`autocity_gis.recipe` gives a city whose recipe states none.
_UNNAMED_CITY = "city"


def output_stem(recipe: Recipe) -> str:
    """Return the file stem of a recipe's outputs: its ``[city] id``, made a safe file name.

    A recipe that gives no id (the loader names its city ``city``) keeps the names earlier
    releases wrote, ``autocity.*``, so scripts that pick those files up keep working.
    """
    from ._export import DEFAULT_STEM
    from ._export import output_stem as stem_of

    return DEFAULT_STEM if recipe.id == _UNNAMED_CITY else stem_of(recipe.id)


def map_name(stem: str) -> str:
    """Return the web map's file name for a file stem (``autocity`` → ``autocity_map.html``)."""
    return f"{stem}_map.html"


def _write_reports(
    report: ValidationReport,
    folder: Path,
    lang: str = "en",
    map_facts: MapFacts | None = None,
    hand_off: HandOffNotes | None = None,
    overlays: OverlayResults | None = None,
) -> list[Path]:
    md = to_markdown(report, lang, map_facts, hand_off, overlays)
    return [
        write_text(folder / "report.json", to_json(report, map_facts, hand_off, overlays)),
        write_text(folder / "report.md", md),
    ]


def export(
    recipe: RecipeLike = None,
    out: str | Path = "out",
    *,
    formats: Sequence[Format] | None = None,
    gauss_kruger: bool = False,
    crs: str | int | None = None,
    lang: Lang = "en",
    limits: Limits | None = None,
) -> list[Path]:
    """Compose, check and write only the hand-off files (what ``autocity-gis export`` does).

    Parameters
    ----------
    recipe : str, Path, Recipe or dict, optional
        The recipe (a dict's layers may be GeoDataFrames); the embedded Automobile City
        recipe when omitted.
    out : str or Path
        Output folder. Earlier hand-off files written by autocity-gis are replaced together;
        everything else in it is kept, and a file of another origin with an output's name is
        refused.
    formats : sequence of str, optional
        Any of :data:`autocity_gis._export.FORMATS`; all but ``dxf``, ``pdf`` and ``png`` when
        None. ``pdf`` and ``png`` are the QGIS print layout rendered by QGIS (refused before
        any work when QGIS is not installed).
    gauss_kruger : bool
        Write the hand-offs in the CGCS2000 Gauss–Krüger zone of the data (short for ``crs``
        set to that zone).
    crs : str or int, optional
        Projected CRS in metres (e.g. ``"EPSG:4551"``) of the GeoPackage, Shapefiles, DXF and
        the QGIS project; GeoJSON and KML stay WGS 84. Refused before any work if it is
        geographic or not in metres.
    lang : str
        ``en`` or ``zh``: language of the QGIS layout and legend.
    limits : Limits, optional
        Resource limits for the recipe and its layers; the defaults, raised by the
        ``AUTOCITY_GIS_MAX_…`` environment variables, when omitted.

    Returns
    -------
    list of Path
        The files and folders written, inside ``out``.

    Raises
    ------
    autocity_gis.InputError
        For bad recipes or layers, or an output folder the policy refuses.
    """
    from . import _export as hand_off

    if crs is not None:
        hand_off.output_crs(crs)  # a bad CRS is refused before any work
    chosen = tuple(formats) if formats else hand_off.DEFAULT_FORMATS
    hand_off.require_tools(chosen)  # e.g. QGIS for pdf/png, refused before any work
    loaded = _load(recipe, limits)
    stem = output_stem(loaded)
    names = _hand_off_names(chosen, stem)
    with _job(loaded, out, command="export", names=names, limits=limits) as job:
        job.say("writing hand-off files")
        frames = _hand_off_frames(job)
        written = hand_off.export_all(
            job.composition,
            job.report,
            job.staging,
            formats=chosen,
            gauss_kruger=gauss_kruger,
            crs=crs,
            stem=stem,
            lang=lang,
            frames=frames,
        )
    return [Path(out) / p.relative_to(job.staging) for p in written]


def write_reports_to(
    recipe: RecipeLike = None,
    out: str | Path = "out",
    *,
    lang: Lang = "en",
    limits: Limits | None = None,
    engine: Engine | None = None,
    scheduler: str | None = None,
) -> ValidationReport:
    """Check a recipe and write ``report.json`` and ``report.md`` into ``out`` (``validate --out``).

    The two reports replace their namesakes together, and only if autocity-gis wrote them;
    everything else in ``out`` is kept. ``lang`` (``en`` or ``zh``) is the language of
    ``report.md``; ``report.json`` is the same in both. ``engine`` and ``scheduler`` as in
    :func:`check_overlays`.

    Returns
    -------
    ValidationReport
        The check (with the overlays' verdict joined; :func:`reports_and_overlays_to` also
        returns the overlays).

    Raises
    ------
    autocity_gis.InputError
        For bad recipes or layers, or an output folder the policy refuses.
    """
    report, _ = reports_and_overlays_to(
        recipe, out, lang=lang, limits=limits, engine=engine, scheduler=scheduler
    )
    return report


def reports_and_overlays_to(
    recipe: RecipeLike = None,
    out: str | Path = "out",
    *,
    lang: Lang = "en",
    limits: Limits | None = None,
    engine: Engine | None = None,
    scheduler: str | None = None,
) -> tuple[ValidationReport, OverlayResults | None]:
    """Do what :func:`write_reports_to` does; return the check and the overlays."""
    with _job(
        recipe,
        out,
        command="validate",
        names=REPORT_NAMES,
        limits=limits,
        engine=engine,
        scheduler=scheduler,
    ) as job:
        _write_reports(job.report, job.staging, lang, overlays=job.overlays)
    return job.report, job.overlays


@dataclass(frozen=True)
class _MapOptions:
    """The web map's options, as :func:`write_web_map` and :func:`build` take them."""

    offline: bool = False
    basemap: BasemapName | None = None
    lang: Lang = "en"
    tianditu_key: str | None = None
    keep_key: bool = False


def _say_map(job: _Job, options: _MapOptions) -> None:
    job.say("drawing the web map" + (" (offline)" if options.offline else ""))


def _draw_map(job: _Job, target: Path, options: _MapOptions) -> MapOutput:
    from .webmap import write_map

    return write_map(
        job.composition,
        job.report,
        target,
        offline=options.offline,
        lang=options.lang,
        tianditu_key=options.tianditu_key,
        keep_key=options.keep_key,
        basemap=options.basemap,
        overlay_results=job.overlays,
    )


def write_web_map(
    recipe: RecipeLike = None,
    out: str | Path | None = None,
    *,
    offline: bool = False,
    basemap: BasemapName | None = None,
    lang: Lang = "en",
    tianditu_key: str | None = None,
    keep_key: bool = False,
    limits: Limits | None = None,
) -> tuple[ValidationReport, MapOutput]:
    """Check a recipe and write only its web map to the HTML file ``out`` (``map --out``).

    The page replaces an earlier one only if autocity-gis wrote it; its folder gets a manifest
    so the next run can tell.

    Parameters
    ----------
    recipe : str, Path, Recipe or dict, optional
        The recipe, as in :func:`build`.
    out : str or Path, optional
        The page; ``out/<city id>_map.html`` (the name :func:`build` gives it) when None.
    offline : bool
        The web map loads nothing from the network, basemap tiles included (every page is
        self-contained; offline, the basemap defaults to none).
    basemap : str, optional
        Basemap name (see :data:`autocity_gis.webmap.BASEMAPS`); the map's default when None.
    lang : {'en', 'zh'}
        Language of the map.
    tianditu_key : str, optional
        Key for Tianditu basemaps.
    keep_key : bool
        Store the Tianditu key in the page (otherwise the page asks for it).
    limits : Limits, optional
        Resource limits, as in :func:`build`.

    Returns
    -------
    tuple
        ``(report, page)``.

    Raises
    ------
    autocity_gis.InputError
        For bad recipes or layers, or an output file the policy refuses.
    """
    if out is None:
        recipe = _load(recipe, limits)
        out = Path("out") / map_name(output_stem(recipe))
    name = Path(out).name
    with _job(recipe, out, command="map", names=[name], file=True, limits=limits) as job:
        options = _MapOptions(offline, basemap, lang, tianditu_key, keep_key)
        _say_map(job, options)
        page = _draw_map(job, job.staging / name, options)
    return job.report, dataclasses.replace(page, path=Path(out))


def build(
    recipe: RecipeLike = None,
    out: str | Path = "out",
    *,
    offline: bool = False,
    basemap: BasemapName | None = None,
    lang: Lang = "en",
    tianditu_key: str | None = None,
    keep_key: bool = False,
    formats: Sequence[Format] | None = None,
    gauss_kruger: bool = False,
    crs: str | int | None = None,
    overwrite: bool = False,
    limits: Limits | None = None,
    engine: Engine | None = None,
    scheduler: str | None = None,
) -> BuildResult:
    """Compose, check and write every output into ``out``.

    Parameters
    ----------
    recipe : str, Path, Recipe or dict, optional
        The recipe (a dict's layers may be GeoDataFrames); the embedded Automobile City
        recipe when omitted.
    out : str or Path
        Output folder. A folder holding only earlier autocity-gis outputs is replaced whole;
        a folder holding anything else is refused unless ``overwrite``.
    offline, basemap, tianditu_key, keep_key
        The web map's options, as in :func:`write_web_map`.
    lang : {'en', 'zh'}
        Language of the map, ``report.md`` and the QGIS layout.
    formats, gauss_kruger, crs
        The hand-off options, as in :func:`export` (GeoJSON is always written).
    overwrite : bool
        Write into a folder that holds files autocity-gis did not write: the outputs go beside
        them and those files stay untouched (one with an output's name is refused). Never
        the root, the home folder, the current folder or its ancestors, or a folder holding
        the recipe or its layers.
    limits : Limits, optional
        Resource limits, as in :func:`export`.
    engine, scheduler
        Where the recipe's overlays run, as in :func:`check_overlays`.

    Returns
    -------
    BuildResult
        Paths and the report (its verdict: ``result.report.passed``). Files are named after
        the recipe's ``[city] id`` (:func:`output_stem`): ``<id>_map.html``, ``<id>.gpkg``, ...

    Raises
    ------
    autocity_gis.InputError
        For bad recipes or layers, or an output folder the policy refuses.
    """
    from . import _export as export
    from ._build import plan_build, write_build

    plan = plan_build(recipe, limits, formats, crs)
    export.require_tools(plan.hand_off)
    policy: dict[str, Any] = {"replace_all": True, "overwrite": overwrite}
    policy.update(engine=engine, scheduler=scheduler)  # issue 14: where the overlays run
    with _job(plan.recipe, out, command="build", names=plan.names, limits=limits, **policy) as job:
        options = _MapOptions(offline, basemap, lang, tianditu_key, keep_key)
        files, page, map_facts, notes = write_build(job, plan, options, crs, gauss_kruger)
        staging = job.staging
    out_dir = Path(out)
    written = tuple(out_dir / Path(f).relative_to(staging) for f in files)
    return BuildResult(
        out_dir=out_dir,
        report=job.report,
        files=written,
        map_bytes=page.bytes,
        map_path=out_dir / plan.page_name,
        map_facts=map_facts,
        hand_off=notes,
        overlays=job.overlays,
    )
