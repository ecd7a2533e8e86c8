"""Resource limits for untrusted inputs: how much a recipe or layer may ask of this machine.

A recipe and its layers come from other offices; a wrong export or a hostile file should be
refused in a second with one line, not after minutes of silence or gigabytes of memory. The
defaults are generous for planning data (a whole province's parcels fit); each can be raised
through an environment variable, which the refusal names.

Examples
--------
>>> Limits.from_env({"AUTOCITY_GIS_MAX_FEATURES": "2000000"}).max_features
2000000
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from ._errors import InputError

#: Prefix of the environment variables that raise (or lower) a limit.
ENV_PREFIX = "AUTOCITY_GIS_"


@dataclass(frozen=True)
class Limits:
    """Upper bounds on what one input may contain.

    Attributes
    ----------
    max_features : int
        Features in one layer file (``AUTOCITY_GIS_MAX_FEATURES``).
    max_vertices : int
        Vertices in the selected features of one layer (``AUTOCITY_GIS_MAX_VERTICES``).
    max_text_chars : int
        Characters in one attribute value (``AUTOCITY_GIS_MAX_TEXT_CHARS``).
    max_unzipped_bytes : int
        Total decompressed size of a zipped layer, ``.zip`` or ``.kmz``
        (``AUTOCITY_GIS_MAX_UNZIPPED_BYTES``).
    max_recipe_bytes : int
        Size of a recipe file (``AUTOCITY_GIS_MAX_RECIPE_BYTES``).
    """

    max_features: int = 1_000_000
    max_vertices: int = 50_000_000
    max_text_chars: int = 100_000
    max_unzipped_bytes: int = 2 * 1024**3
    max_recipe_bytes: int = 1024**2

    @staticmethod
    def env_name(field_name: str) -> str:
        """Return the environment variable that sets ``field_name`` (e.g. ``max_features``)."""
        return ENV_PREFIX + field_name.upper()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """Read the limits from ``AUTOCITY_GIS_MAX_…`` variables; unset ones keep the default.

        Parameters
        ----------
        environ : mapping, optional
            The environment; ``os.environ`` when omitted.

        Raises
        ------
        InputError
            If a variable is set to something other than a positive whole number.
        """
        env = os.environ if environ is None else environ
        changes: dict[str, int] = {}
        for f in fields(cls):
            name = cls.env_name(f.name)
            text = env.get(name)
            if text is None or not text.strip():
                continue
            cleaned = text.strip().replace("_", "").replace(",", "")
            if not cleaned.isdigit() or int(cleaned) <= 0:
                raise InputError(
                    f"environment variable {name} = {text!r} is not a positive whole number."
                )
            changes[f.name] = int(cleaned)
        return replace(cls(), **changes)

    def exceeded(self, field_name: str, what: str, found: int | str) -> str:
        """Return the sentence for an input beyond one limit (without the file name).

        Examples
        --------
        >>> Limits().exceeded("max_features", "features", 2_000_000)
        'has 2,000,000 features, more than the limit of 1,000,000; if that is expected, \
raise it with the environment variable AUTOCITY_GIS_MAX_FEATURES.'
        """
        limit = getattr(self, field_name)
        shown = f"{found:,}" if isinstance(found, int) else found
        return (
            f"has {shown} {what}, more than the limit of {limit:,}; if that is expected, raise "
            f"it with the environment variable {self.env_name(field_name)}."
        )


#: The built-in limits (no environment variable set).
DEFAULT_LIMITS = Limits()


def current(limits: Limits | None = None) -> Limits:
    """Return ``limits``, or when None the defaults as raised by ``AUTOCITY_GIS_MAX_…`` variables.

    Reading the environment here keeps the refusals truthful ("raise it with the environment
    variable …") for every caller, whether or not it passes limits of its own.
    """
    return limits if limits is not None else Limits.from_env()
