"""The error family for bad input.

Everything a user can get wrong -- a recipe, a layer file, a CRS, an output folder -- is reported
as one subclass of :class:`InputError`, carrying one sentence that names the file, the feature
and the problem. The CLI turns these into a one-line message and exit status 2; everything else
is a bug and keeps its traceback.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: the message is one sentence meant for the user."""


class RecipeError(InputError):
    """The recipe file is unreadable, incomplete or inconsistent."""


class LayerError(InputError):
    """A layer file cannot be read, or one of its features is unusable."""


class CRSError(LayerError):
    """A layer's coordinate reference system or datum is missing or implausible."""


class OutputError(InputError):
    """An output location cannot be written."""


class QGISNotFoundError(InputError):
    """An output needs QGIS (rendering the print layout) and none is installed."""
