"""The whole job in one call: recipe → composition → check → every output, written atomically.

:func:`build` is what ``autocity-gis build`` runs. It writes all outputs into a fresh temporary
folder beside the destination and swaps it into place only when everything succeeded, so the
output folder always holds either the previous complete results or the new complete results,
never a mix.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ._errors import OutputError
from ._io import replace_folder, staged_outputs, staging_folder
from .compose import Composition, compose
from .recipe import Recipe, load_recipe
from .report import write_reports
from .validate import ValidationReport, validate

#: Marks a folder as written by :func:`build`, so a rebuild may replace it.
MARKER = ".autocity-gis"
MAP_NAME = "autocity_map.html"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    """What :func:`build` produced.

    Attributes
    ----------
    out_dir : Path
        The output folder.
    report : ValidationReport
        The area check.
    files : tuple of Path
        Every file written, inside ``out_dir``.
    map_bytes : int
        Size of the web map page.
    """

    out_dir: Path
    report: ValidationReport
    files: tuple[Path, ...]
    map_bytes: int


def check(
    recipe: str | Path | Recipe | None = None, *, progress: Progress | None = None
) -> tuple[Recipe, Composition, ValidationReport]:
    """Load a recipe, compose it and check its areas (no files written).

    Parameters
    ----------
    recipe : str, Path or Recipe, optional
        A recipe file or a loaded recipe; the embedded Automobile City recipe when omitted.
    progress : callable, optional
        Receives one line per step.

    Returns
    -------
    tuple
        ``(recipe, composition, report)``.
    """
    loaded = recipe if isinstance(recipe, Recipe) else load_recipe(recipe)
    composition = compose(loaded, progress=progress)
    return loaded, composition, validate(composition, loaded)


def export(
    recipe: str | Path | Recipe | None = None,
    out: str | Path = "out",
    *,
    formats: Sequence[str] | None = None,
    gauss_kruger: bool = False,
    progress: Progress | None = None,
) -> list[Path]:
    """Compose, check and write only the hand-off files (what ``autocity-gis export`` does).

    Parameters
    ----------
    recipe : str, Path or Recipe, optional
        The recipe; the embedded Automobile City recipe when omitted.
    out : str or Path
        Output folder; other files in it are kept, the hand-off files are replaced together.
    formats : sequence of str, optional
        Any of :data:`autocity_gis.export.FORMATS`; all when None.
    gauss_kruger : bool
        Also write the GeoPackage layers in the CGCS2000 Gauss–Krüger zone of Changchun.
    progress : callable, optional
        Receives one line per step.

    Returns
    -------
    list of Path
        The files and folders written, inside ``out``.
    """
    from . import export as hand_off

    say = progress or (lambda _msg: None)
    _, composition, report = check(recipe, progress=say)
    say("writing hand-off files")
    with staged_outputs(out) as staging:
        written = hand_off.export_all(
            composition,
            report,
            staging,
            formats=tuple(formats) if formats else hand_off.FORMATS,
            gauss_kruger=gauss_kruger,
        )
    return [Path(out) / p.relative_to(staging) for p in written]


def build(
    recipe: str | Path | Recipe | None = None,
    out: str | Path = "out",
    *,
    offline: bool = False,
    basemap: str | None = None,
    lang: str = "en",
    tianditu_key: str | None = None,
    keep_key: bool = False,
    formats: Sequence[str] | None = None,
    gauss_kruger: bool = False,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    """Compose, check and write every output into ``out``.

    Parameters
    ----------
    recipe : str, Path or Recipe, optional
        The recipe; the embedded Automobile City recipe when omitted.
    out : str or Path
        Output folder. A folder written by an earlier build is replaced whole.
    offline : bool
        Make the web map a single self-contained file that loads nothing from the network.
    basemap : str, optional
        Basemap name (see :data:`autocity_gis.webmap.BASEMAPS`); the map's default when None.
    lang : str
        Label language of the map, ``en`` or ``zh``.
    tianditu_key : str, optional
        Key for Tianditu basemaps.
    keep_key : bool
        Store the Tianditu key in the page (otherwise the page asks for it).
    formats : sequence of str, optional
        Hand-off formats (see :data:`autocity_gis.export.FORMATS`); all when None.
    gauss_kruger : bool
        Also write the GeoPackage layers in the CGCS2000 Gauss–Krüger zone of Changchun.
    overwrite : bool
        Replace ``out`` even when it was not written by autocity-gis.
    progress : callable, optional
        Receives one line per step.

    Returns
    -------
    BuildResult
        Paths and the report. The check's verdict is ``result.report.passed``.

    Raises
    ------
    autocity_gis.InputError
        For bad recipes or layers, or an output folder that cannot be written.
    """
    from . import export, webmap

    say = progress or (lambda _msg: None)
    target = Path(out)
    _check_replaceable(target, overwrite=overwrite)
    loaded, composition, report = check(recipe, progress=say)
    staging = staging_folder(target)
    try:
        say("drawing the web map" + (" (offline)" if offline else ""))
        page = webmap.write_map(
            composition,
            report,
            staging / MAP_NAME,
            offline=offline,
            lang=lang,
            tianditu_key=tianditu_key,
            keep_key=keep_key,
            basemap=basemap,
        )
        say("writing GeoPackage, QGIS project and hand-off formats")
        # GeoJSON always: boundary.geojson and components.geojson are the build's own outputs.
        hand_off = tuple(dict.fromkeys([*(formats or export.FORMATS), "geojson"]))
        exported = export.export_all(
            composition, report, staging, formats=hand_off, gauss_kruger=gauss_kruger
        )
        # The report states how the web geometry was simplified (areas are not affected) and
        # what a hand-off format had to shorten.
        report = dataclasses.replace(
            report,
            web_simplification=page.simplification,
            warnings=(
                *report.warnings,
                *export.hand_off_warnings(composition, report, hand_off),
            ),
        )
        say("writing reports")
        files = [*write_reports(report, staging), page.path, *exported]
        (staging / MARKER).write_text(f"written by autocity-gis from {loaded.path}\n")
        replace_folder(staging, target)
    except OSError as exc:
        # A full disk or a folder made read-only mid-build is the user's to fix, not a bug.
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(
            f"{target}: cannot write the outputs ({exc.strerror or exc}); the folder was left "
            "as it was."
        ) from exc
    except BaseException:
        # Including KeyboardInterrupt: the previous results stay, the half-written set goes.
        shutil.rmtree(staging, ignore_errors=True)
        raise
    written = tuple(target / Path(f).relative_to(staging) for f in files)
    return BuildResult(out_dir=target, report=report, files=written, map_bytes=page.bytes)


def _check_replaceable(target: Path, *, overwrite: bool) -> None:
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target}: exists and is not a folder; choose another --out.")
    if target.is_dir() and not os.access(target, os.W_OK | os.X_OK):
        # The swap could replace it through its parent, but a read-only folder means "keep".
        raise OutputError(
            f"{target}: the output folder is not writable; choose another --out or change "
            "its permissions."
        )
    parent = target.resolve().parent
    existing = next((p for p in (parent, *parent.parents) if p.exists()), None)
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(
            f"{existing}: cannot create the output folder {target} there (not writable); "
            "choose another --out."
        )
    if (
        target.is_dir()
        and not overwrite
        and not (target / MARKER).exists()
        and any(target.iterdir())
    ):
        raise OutputError(
            f"{target}: the folder is not empty and was not written by autocity-gis; choose "
            "another --out or pass --overwrite to replace it."
        )
