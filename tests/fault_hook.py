"""A fault hook for subprocess tests of the installed ``autocity-gis``, existing only in tests.

:func:`hook_env` writes a ``sitecustomize.py`` into a test's folder and returns an environment
whose ``PYTHONPATH`` makes the console script import it at start-up. What it does is chosen by
``AUTOCITY_GIS_TEST_HOOK``:

* ``count:FILE``  -- append the label of every filesystem step of a swap to ``FILE``;
* ``kill:K``      -- SIGKILL the process itself at step ``K`` (a real kill, nothing runs after);
* ``crash``       -- composition raises ``RuntimeError`` (an internal error);
* ``hang``        -- composition prints ``HOOK-READY`` on stderr and sleeps (to be interrupted).

Nothing of this ships with the package: production code only calls the no-op
``autocity_gis._output._step``.
"""

from __future__ import annotations

import os
from pathlib import Path

_SITECUSTOMIZE = '''
import os

_spec = os.environ.get("AUTOCITY_GIS_TEST_HOOK", "")
if _spec:
    import signal
    import sys
    import time

    from autocity_gis import _output

    _mode, _, _arg = _spec.partition(":")
    if _mode == "count":
        def _step(label):
            with open(_arg, "a", encoding="utf-8") as f:
                f.write(label + "\\n")
        _output._step = _step
    elif _mode == "kill":
        _calls = [0]
        def _step(label):
            _calls[0] += 1
            if _calls[0] == int(_arg):
                os.kill(os.getpid(), signal.SIGKILL)
        _output._step = _step
    elif _mode in ("crash", "hang"):
        from autocity_gis import api

        def _compose(*args, **kwargs):
            if _mode == "crash":
                raise RuntimeError("hook: a bug\\nwith a second line")
            sys.stderr.write("HOOK-READY\\n")
            sys.stderr.flush()
            time.sleep(60)
        api.compose = _compose
'''


def hook_env(folder: Path, spec: str) -> dict[str, str]:
    """Return an environment running the installed console script with hook ``spec``."""
    hooks = folder / "_hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "sitecustomize.py").write_text(_SITECUSTOMIZE, encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hooks), env.get("PYTHONPATH")]))
    env["AUTOCITY_GIS_TEST_HOOK"] = spec
    env["XDG_STATE_HOME"] = str(folder / "state")
    return env
