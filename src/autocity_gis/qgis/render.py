"""The print layout rendered to PDF or PNG by QGIS itself, in a subprocess.

The toolkit does not import QGIS: :func:`render_layout` runs ``_render_script.py`` with the
interpreter that has PyQGIS (``/usr/bin/python3`` as Debian installs it, or
``AUTOCITY_QGIS_PYTHON``), offscreen, outside the virtualenv. Without it the caller gets one
:class:`~autocity_gis._errors.QGISNotFoundError` sentence (exit status 2 on the command line).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

from .._errors import OutputError, QGISNotFoundError
from .._io import atomic_path

#: The interpreter with PyQGIS unless ``AUTOCITY_QGIS_PYTHON`` names another.
DEFAULT_QGIS_PYTHON = "/usr/bin/python3"
#: Resolution of the rendered layout, dots per inch.
DPI = {"pdf": 300, "png": 150}
_SCRIPT = Path(__file__).with_name("_render_script.py")
_TIMEOUT_S = 300

__all__ = ["QGISNotFoundError", "find_qgis_python", "render_layout"]


def _clean_env(workdir: str) -> dict[str, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": workdir}
    # The system interpreter must not pick up the virtualenv's packages.
    for var in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(var, None)
    return env


@functools.cache
def _imports_qgis(python: str) -> bool:
    if not Path(python).is_file():
        return False
    with tempfile.TemporaryDirectory() as tmp:
        try:
            run = subprocess.run(
                [python, "-c", "import qgis.core"],
                capture_output=True,
                env=_clean_env(tmp),
                timeout=60,
            )
        except (OSError, subprocess.SubprocessError):
            return False
    return run.returncode == 0


def find_qgis_python() -> str | None:
    """Return the interpreter that imports ``qgis.core``, or None when QGIS is not installed."""
    python = os.environ.get("AUTOCITY_QGIS_PYTHON", DEFAULT_QGIS_PYTHON)
    return python if _imports_qgis(python) else None


def require_qgis(fmt: str) -> str:
    """Return the PyQGIS interpreter; refuse in one sentence when there is none."""
    python = find_qgis_python()
    if python is None:
        where = os.environ.get("AUTOCITY_QGIS_PYTHON", DEFAULT_QGIS_PYTHON)
        raise QGISNotFoundError(
            f"--format {fmt}: rendering the print layout needs QGIS, and {where} cannot "
            "import qgis.core (install QGIS with its Python bindings, or set "
            "AUTOCITY_QGIS_PYTHON to the Python that has them)."
        )
    return python


def render_layout(
    project: str | Path, target: str | Path, *, fmt: Literal["pdf", "png"], dpi: float | None = None
) -> Path:
    """Render the project's print layout to ``target`` through QGIS.

    Parameters
    ----------
    project : str or Path
        The ``.qgs`` file (its GeoPackage beside it).
    target : str or Path
        The PDF or PNG to write (replaced atomically).
    fmt : {"pdf", "png"}
        Output format.
    dpi : float, optional
        Resolution; :data:`DPI` of the format when None.

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    QGISNotFoundError
        When no interpreter imports ``qgis.core``.
    OutputError
        When QGIS cannot read the project or render the layout.
    """
    python = require_qgis(fmt)
    target = Path(target)
    with atomic_path(target) as tmp, tempfile.TemporaryDirectory() as work:
        # QGIS picks the format from the file's suffix.
        drawn = Path(work) / f"layout.{fmt}"
        run = subprocess.run(
            [python, str(_SCRIPT), str(project), str(drawn), fmt, str(dpi or DPI[fmt])],
            capture_output=True,
            text=True,
            env=_clean_env(work),
            timeout=_TIMEOUT_S,
            cwd=Path(project).parent,
        )
        lines = run.stdout.strip().splitlines()
        seen = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
        if seen.get("status") != 0 or not drawn.is_file():
            raise OutputError(
                f"{target}: QGIS could not render the print layout of {project} "
                f"(status {seen.get('status')}, read {seen.get('read')})."
            )
        Path(tmp).write_bytes(drawn.read_bytes())
    return target
