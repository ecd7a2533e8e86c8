"""The command line's plumbing: exit statuses, verbosity, and the options commands share.

:mod:`autocity_gis.cli` holds the commands; this module holds what they have in common, the
way ``rio`` keeps its shared options in one module:

* :func:`command_body` wraps a command's body: it maps ``-q``/``-v`` to a log level once and
  sends the ``autocity_gis`` logger to stderr for the command (:mod:`autocity_gis._log`), and
  turns every outcome into its exit status and at most one line (:class:`Failure`);
* :func:`verbosity_options` gives a command (and the group) ``-v``/``-q``; counts given at the
  group and at the command add up, so ``autocity-gis -q build`` is ``autocity-gis build -q``;
* :class:`Output` writes the command's own result on stdout, hidden by ``-qq``.

Nothing here imports geopandas: ``--help`` answers at once.
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
from typing import IO, Any, TypeVar

import click

from ._text import for_terminal

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

F = TypeVar("F", bound=Callable[..., Any])

#: Where the counts of -v and -q live: ``click.Context.meta`` is shared by the group's context
#: and the command's, so the group's flags and the command's add up.
_COUNTS = "autocity_gis.verbosity"


class Failure(click.ClickException):
    """A failure reported as one terminal-safe line on stderr; subclasses set the status."""

    exit_code = EXIT_INTERNAL

    def show(self, file: IO[Any] | None = None) -> None:
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
    from . import __version__

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


def _internal_error(exc: Exception) -> Failure:
    from ._output import is_disk_full

    if is_disk_full(exc):
        return BadInput(f"the disk is full ({exc}); the previous outputs were left as they were.")
    log = _log_internal_error(exc)
    where = f"the traceback is in {log}" if log else "no log file could be written"
    detail = str(exc)
    detail = detail if len(detail) <= 300 else f"{detail[:300]}…"  # whole in the log
    return InternalError(
        f"internal error ({type(exc).__name__}: {detail}); {where} -- this is a bug in "
        "autocity-gis, please report it with that file."
    )


def verbosity(ctx: click.Context | None = None) -> int:
    """Return ``-v`` count minus ``-q`` count, given at the group and the command together."""
    ctx = ctx or click.get_current_context()
    counts: dict[str, int] = ctx.meta.get(_COUNTS, {})
    return counts.get("verbose", 0) - counts.get("quiet", 0)


def _count(ctx: click.Context, param: click.Parameter, value: int) -> int:
    counts: dict[str, int] = ctx.meta.setdefault(_COUNTS, {})
    counts[str(param.name)] = counts.get(str(param.name), 0) + value
    return value


def verbosity_options(func: F) -> F:
    """``-v``/``--verbose`` and ``-q``/``--quiet``, counted, for the group and each command."""
    func = click.option(
        "-q",
        "--quiet",
        count=True,
        expose_value=False,
        callback=_count,
        help="Less output (-q: no progress, -qq: nothing but errors).",
    )(func)
    return click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=_count,
        help="More output (-v: files read with CRS and feature counts, timings; -vv: debug).",
    )(func)


def command_body(func: F) -> F:
    """Run a command with logging set up once, and map each outcome to its exit status."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ._errors import InputError
        from ._log import configured
        from ._output import interrupted_note, reset_outcome

        reset_outcome()
        with configured(verbosity(), lang=str(kwargs.get("lang") or "en")):
            try:
                return func(*args, **kwargs)
            except (click.exceptions.Exit, click.ClickException, SystemExit):
                raise
            except InputError as exc:
                raise BadInput(str(exc)) from None
            except KeyboardInterrupt:
                raise Interrupted(f"interrupted; {interrupted_note()}.") from None
            except Exception as exc:
                raise _internal_error(exc) from None

    return wrapper  # type: ignore[return-value]


class Output:
    """The command's own result on stdout (hidden by ``-qq``) and the check's warnings (``-q``)."""

    def __init__(self, level: int | None = None) -> None:
        self.verbosity = verbosity() if level is None else level

    def out(self, message: str = "") -> None:
        """Print one terminal-safe line on stdout unless ``-qq``."""
        if self.verbosity >= -1:
            click.echo(for_terminal(message))

    def warnings(self, report: Any, lang: str = "en") -> None:
        """Each warning of a check on one line after the verdict; hidden by -q."""
        from .report import warning_lines

        if self.verbosity >= 0:
            for line in warning_lines(report, lang):
                click.echo(line)


#: The recipe a command uses when given none and the current folder holds one.
LOCAL_RECIPE = Path("autocity.toml")


def recipe_opt(func: F) -> F:
    """``--recipe``, defaulting to ``./autocity.toml`` when present, else the embedded city."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("recipe") is None and LOCAL_RECIPE.is_file():
            import logging

            kwargs["recipe"] = LOCAL_RECIPE
            logging.getLogger("autocity_gis.cli").info(
                "using the recipe ./%s found in this folder (--recipe chooses another)",
                LOCAL_RECIPE,
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


def _scheduler(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse a scheduler that is not ``tcp://HOST:PORT`` at once: exit status 2."""
    if value is None:
        return None
    from ._recipe_overlays import check_scheduler

    problem = check_scheduler(value)
    if problem:
        raise click.BadParameter(for_terminal(problem.removeprefix("'scheduler' ")))
    return value


def engine_options(func: F) -> F:
    """``--engine`` and ``--scheduler``: where a recipe's overlays run (issue 14)."""
    from ._types import ENGINES

    func = click.option(
        "--scheduler",
        type=str,
        metavar="tcp://HOST:PORT",
        default=None,
        callback=_scheduler,
        help="With --engine dask: the scheduler of an existing dask.distributed cluster "
        "[default: the recipe's, else a local cluster of two workers for the run].",
    )(func)
    return click.option(
        "--engine",
        type=click.Choice(ENGINES),
        default=None,
        help="Where the recipe's [[overlays]] run: this machine's cores (local) or Dask over a "
        "partitioned GeoParquet dataset [default: the recipe's engine, else local].",
    )(func)
