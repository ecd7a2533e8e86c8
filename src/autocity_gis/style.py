"""Cartographic style shared by every output.

The web map (:mod:`autocity_gis.webmap`) and the QGIS hand-off (:mod:`autocity_gis.qgis`) draw
from these definitions so a planner sees the same colours and line patterns in both. Estimated
geometry is always drawn dashed and semi-transparent; official geometry solid.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

#: Fill colours for components, by component id; unknown ids cycle through ``PALETTE``.
COMPONENT_COLOURS: dict[str, str] = {
    "auto_etdz": "#d62728",
    "xixin": "#ff7f0e",
    "chaoyang_edz": "#9467bd",
    "hightech_part": "#8c564b",
    "daling": "#2ca02c",
    "fanjiatun": "#1f77b4",
}
PALETTE: tuple[str, ...] = (
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#aec7e8",
    "#ffbb78",
)
BOUNDARY_COLOUR = "#111111"
CONTEXT_COLOUR = "#6b6b6b"
OVERLAP_COLOUR = "#ff00ff"
GAP_COLOUR = "#00bcd4"
#: Subtracted zones are knocked out: a white veil over the parts, a dark slate outline.
SUBTRACTED_COLOUR = "#37474f"
SUBTRACTED_FILL = "#ffffff"
#: Holes the data have (enclaves) are not errors: a quiet brown, lightly filled.
HOLE_COLOUR = "#795548"

#: Dash pattern for estimated geometry, as SVG/Leaflet ``dashArray`` (pixels) and QGIS
#: ``customdash`` (map units in millimetres) -- the same rhythm in both clients.
ESTIMATED_DASH_PX = "8 6"
ESTIMATED_DASH_MM = "2;1.5"


@dataclass(frozen=True)
class LayerStyle:
    """How one polygon layer or feature is drawn.

    Attributes
    ----------
    stroke : str
        Outline colour as ``#rrggbb``.
    fill : str
        Fill colour as ``#rrggbb``.
    fill_opacity : float
        Fill opacity from 0 to 1.
    weight_px : float
        Outline width in screen pixels.
    dashed : bool
        Whether the outline is dashed (estimated geometry).
    """

    stroke: str
    fill: str
    fill_opacity: float
    weight_px: float
    dashed: bool

    @property
    def dash_px(self) -> str | None:
        """Leaflet ``dashArray`` or None for a solid line."""
        return ESTIMATED_DASH_PX if self.dashed else None

    @property
    def weight_mm(self) -> float:
        """Outline width in millimetres for print clients (96 dpi screen pixels)."""
        return round(self.weight_px * 25.4 / 96, 2)


def component_colour(component_id: str, index: int = 0) -> str:
    """Return the fill colour of a component.

    Parameters
    ----------
    component_id : str
        The component's ``id``.
    index : int
        Position of the component in its recipe, used for ids without a fixed colour.

    Returns
    -------
    str
        A ``#rrggbb`` colour.

    Examples
    --------
    >>> component_colour("daling")
    '#2ca02c'
    """
    return COMPONENT_COLOURS.get(component_id, PALETTE[index % len(PALETTE)])


def component_style(component_id: str, accuracy: str, index: int = 0) -> LayerStyle:
    """Return the style of a component: its colour, dashed when estimated.

    Parameters
    ----------
    component_id : str
        The component's ``id``.
    accuracy : str
        ``official``, ``estimated`` or ``user-supplied``.
    index : int
        Position of the component in its recipe.

    Returns
    -------
    LayerStyle
        The style; estimated components are dashed with a lighter fill.
    """
    colour = component_colour(component_id, index)
    estimated = accuracy == "estimated"
    return LayerStyle(
        stroke=colour,
        fill=colour,
        fill_opacity=0.18 if estimated else 0.35,
        weight_px=2.0,
        dashed=estimated,
    )


BOUNDARY_STYLE = LayerStyle(BOUNDARY_COLOUR, BOUNDARY_COLOUR, 0.0, 3.0, dashed=False)
CONTEXT_STYLE = LayerStyle(CONTEXT_COLOUR, CONTEXT_COLOUR, 0.0, 1.0, dashed=False)
OVERLAP_STYLE = LayerStyle(OVERLAP_COLOUR, OVERLAP_COLOUR, 0.6, 1.0, dashed=False)
GAP_STYLE = LayerStyle(GAP_COLOUR, GAP_COLOUR, 0.6, 1.0, dashed=False)
SUBTRACTED_STYLE = LayerStyle(SUBTRACTED_COLOUR, SUBTRACTED_FILL, 0.65, 1.5, dashed=False)
HOLE_STYLE = LayerStyle(HOLE_COLOUR, HOLE_COLOUR, 0.15, 1.0, dashed=False)


def boundary_style(*, estimated: bool) -> LayerStyle:
    """Return the composed boundary's style: dashed when it is estimated.

    The boundary is the union of the components, so it is as estimated as its least certain
    part; drawn solid over dashed parts it would claim a precision it does not have.

    Examples
    --------
    >>> boundary_style(estimated=True).dashed, boundary_style(estimated=False) == BOUNDARY_STYLE
    (True, True)
    """
    return replace(BOUNDARY_STYLE, dashed=estimated)
