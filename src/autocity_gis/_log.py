"""Progress and detail through :mod:`logging`: the ``autocity_gis`` logger and its levels.

Library modules log to ``logging.getLogger(__name__)`` (children of ``autocity_gis``): a
progress line at ``INFO`` before each step that reads files or computes, and at :data:`DETAIL`
what a person debugging a recipe wants -- each file read with its CRS and feature count, and
how long each step took. The package installs only a :class:`logging.NullHandler`, so a
program using the library sees nothing unless it configures logging itself
(``logging.basicConfig(level=logging.INFO)`` shows the progress lines).

The command line maps ``-q``/``-v`` to a level once (:func:`level_for`) and installs one
handler (:func:`configure`) that writes ``· message`` lines on stderr, terminal-safe, in
Chinese under ``--lang zh`` for the messages :data:`ZH` knows. A message's id is its
``%``-template (``"loading %s from %s"``), so a catalogue maps templates, not formatted text.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

LOGGER_NAME = "autocity_gis"
#: Between DEBUG and INFO: what ``-v`` adds (files read, CRS, counts, timings).
DETAIL = 15
logging.addLevelName(DETAIL, "DETAIL")

#: Verbosity (``-v`` count minus ``-q`` count) → level of the ``autocity_gis`` logger.
LEVELS: Mapping[int, int] = {
    -2: logging.ERROR,
    -1: logging.WARNING,
    0: logging.INFO,
    1: DETAIL,
    2: logging.DEBUG,
}

#: Chinese progress lines, by message template (the id). Templates not listed stay English.
ZH: Mapping[str, str] = {
    "loading context units from %s": "读取行政区划底图：%s",
    "loading %s from %s": "读取组成部分 %s：%s",
    "loading %d components from %s (%s)": "读取 %d 个组成部分：%s（%s）",
    "composing %d parts": "合成 %d 个部分",
    "drawing the web map": "绘制网页地图",
    "drawing the web map (offline)": "绘制网页地图（离线）",
    "writing GeoPackage, QGIS project and hand-off formats": "写出 GeoPackage、QGIS 工程和交付格式",
    "writing hand-off files": "写出交付文件",
    "writing reports": "写出报告",
    "using the recipe ./%s found in this folder (--recipe chooses another)": (
        "使用本文件夹中的配方 ./%s（--recipe 可另选）"
    ),
}

Say = Callable[[str], None]

logging.getLogger(LOGGER_NAME).addHandler(logging.NullHandler())


def level_for(verbosity: int) -> int:
    """Return the log level for a verbosity (``-v`` count minus ``-q`` count), clamped.

    >>> level_for(0) == logging.INFO, level_for(1) == DETAIL, level_for(-5) == logging.ERROR
    (True, True, True)
    """
    return LEVELS[max(min(verbosity, max(LEVELS)), min(LEVELS))]


def say_to(log: logging.Logger) -> Say:
    """Return a one-argument callable logging each line at INFO (for callback-style APIs)."""

    def say(message: str) -> None:
        # The line itself is the template (no args: a "%" in it is left alone), so a
        # catalogue can translate fixed lines such as "writing reports".
        log.info(message)

    return say


@contextmanager
def step(log: logging.Logger, message: str, *args: Any) -> Iterator[None]:
    """Log ``message % args`` at INFO, run the block, then log its duration at DETAIL."""
    log.info(message, *args)
    start = time.perf_counter()
    yield
    log.log(DETAIL, "%s: %.2f s", message % args if args else message, time.perf_counter() - start)


@contextmanager
def timed(log: logging.Logger, message: str, *args: Any) -> Iterator[None]:
    """Run the block, then log ``message % args`` and its duration at DETAIL (nothing at INFO)."""
    start = time.perf_counter()
    yield
    text = message % args if args else message
    log.log(DETAIL, "%s: %.2f s", text, time.perf_counter() - start)


class Steps:
    """A ``say`` callable for a sequence of steps: each line at INFO, each duration at DETAIL.

    Calling it starts a step (and ends the one before, logging how long that took);
    :meth:`done` ends the last one.
    """

    def __init__(self, log: logging.Logger) -> None:
        self.log = log
        self._current: str | None = None
        self._start = 0.0

    def __call__(self, message: str) -> None:
        """End the current step and start the one named ``message``."""
        self.done()
        self.log.info(message)  # the line is its own template (see say_to)
        self._current, self._start = message, time.perf_counter()

    def done(self) -> None:
        """End the current step, logging its duration at DETAIL."""
        if self._current is not None:
            elapsed = time.perf_counter() - self._start
            self.log.log(DETAIL, "%s: %.2f s", self._current, elapsed)
            self._current = None


class TerminalHandler(logging.Handler):
    """Write records as terminal-safe lines to the stream current at emit time.

    INFO is a progress line ``· message``; DETAIL and DEBUG are indented beneath it (DEBUG
    names its logger); WARNING and above start with ``autocity-gis: warning:``/``error:``.
    The stream is looked up on each record (``sys.stderr`` by default) so that a test runner
    swapping ``sys.stderr`` sees the lines.
    """

    def __init__(self, lang: str = "en", stream: Callable[[], IO[str]] | None = None) -> None:
        super().__init__()
        self.lang = lang
        self._stream = stream

    def message(self, record: logging.LogRecord) -> str:
        """Return the record's text, in Chinese when :data:`ZH` has its template."""
        template = ZH.get(str(record.msg)) if self.lang == "zh" else None
        if template is None:
            return record.getMessage()
        return template % record.args if record.args else template

    def emit(self, record: logging.LogRecord) -> None:
        """Write one line for the record."""
        from ._text import for_terminal

        try:
            text = for_terminal(self.message(record))
            if record.levelno >= logging.WARNING:
                line = f"autocity-gis: {record.levelname.lower()}: {text}"
            elif record.levelno >= logging.INFO:
                line = f"· {text}"
            elif record.levelno >= DETAIL:
                line = f"  {text}"
            else:
                line = f"  [{record.name}] {text}"
            stream = self._stream() if self._stream else sys.stderr
            stream.write(line + "\n")
            stream.flush()
        except Exception:  # a broken pipe must not turn a finished build into a crash
            self.handleError(record)


@contextmanager
def configured(verbosity: int, *, lang: str = "en") -> Iterator[logging.Logger]:
    """Send the ``autocity_gis`` logger to stderr at the level of ``verbosity`` for a block.

    The handler and level are undone when the block ends, so a program (or a test) running
    several commands in one process gets one line per record and keeps its own settings.
    """
    logger = logging.getLogger(LOGGER_NAME)
    handler = TerminalHandler(lang)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level_for(verbosity))
    try:
        yield logger
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
