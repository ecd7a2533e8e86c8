"""Open gaps found window by window: the closing only where two parts' outer edges meet.

An open gap (see :mod:`autocity_gis._diagnostics`) is a piece of what the closing
``union.buffer(w/2).buffer(-w/2)`` adds outside the union's outer rings, touching two or more
parts. Closing the whole union and subtracting it from the filled union costs 1.3 s on the
country job (two 150 k-vertex rings that nearly coincide), though the open gaps are few and
small. The closing is local: with mitred joins (mitre limit 10) each buffer reaches at most
``10·w/2`` from its input, so what the closing adds at a point depends only on the union within
``10·w`` of it. And a piece that touches two parts passes, along its outline, from one part's
outer edge to the other's, either at a vertex they share or across a stretch of the closing's
own edge no longer than about ``w``. So the closing is computed only in windows around the
places where outer edges of two different parts come within :data:`PAIR_FACTOR` ``· w`` of
each other, each window clipped with a margin of :data:`REACH_FACTOR` ``· w``; a window that a
piece runs out of grows until the piece lies inside it, so every piece comes back whole.

Outer edges are told apart by part through their vertices: a coverage union keeps the parts'
vertices, so each vertex of an outer ring is found among the vertices of the parts' exterior
rings. When too many are not (a union an overlay made, with new vertices), the caller closes
the whole union instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from .layers import polygonal

__all__ = [
    "MIN_OUTER_VERTICES",
    "PAIR_FACTOR",
    "REACH_FACTOR",
    "VERTICES_PER_WINDOW",
    "closing",
    "open_gap_pieces",
]

#: Mitre limit of the closing's buffers: corners sharper than about 11° are bevelled.
MITRE_LIMIT = 10.0

#: Outer edges of two parts closer than this many gap widths seed a window.
PAIR_FACTOR = 3.0
#: Margin (gap widths) by which a window's geometry is clipped: the closing reaches 10.
REACH_FACTOR = 12.0
#: Margin (gap widths) around a seeding pair of edges, and the least step a window grows by.
_MARGIN_FACTOR = 2.0
#: Outer rings with fewer vertices are closed whole: that costs less than finding windows
#: (131 vertices: 0.5 ms whole, 3 ms by windows; the country's 154 k: 1.3 s whole).
MIN_OUTER_VERTICES = 1000
#: A window costs about as much as closing this many outer vertices whole (0.5-1 ms).
VERTICES_PER_WINDOW = 100
#: Share of outer vertices that may be missing from the parts before the windows give up.
_UNMATCHED_SHARE = 0.01
#: Label of an edge whose part is not known: it pairs with every edge near it.
_ANY = -2
#: A piece meeting a window's edge along fewer units in the last place of the coordinates
#: than this is floating-point residue of the overlay (one or two units), not a cut piece.
_EDGE_RESIDUE_ULPS = 64


def closing(union: BaseGeometry, width: float) -> BaseGeometry:
    """Return the morphological closing of ``union``: every gap narrower than ``width`` filled."""
    if width <= 0.0:
        return union
    opts = {"join_style": "mitre", "mitre_limit": MITRE_LIMIT}
    return polygonal(shapely.buffer(shapely.buffer(union, width / 2, **opts), -width / 2, **opts))


def open_gap_pieces(
    polys: list[BaseGeometry],
    filled: BaseGeometry,
    parts: NDArray[np.object_],
    width: float,
) -> list[BaseGeometry] | None:
    """Return the pieces the closing of the union adds outside ``filled``, window by window.

    Parameters
    ----------
    polys : list of shapely Polygon
        The polygons of the union, local metres.
    filled : shapely geometry
        The union with its holes filled (the outer rings of ``polys``).
    parts : numpy.ndarray of shapely geometries
        The parts the union was made of.
    width : float
        Gap width (m), > 0.

    Returns
    -------
    list of shapely Polygon or None
        Whole pieces of ``closing(union) - filled`` (floating-point residue aside) that lie
        near outer edges of two different parts (every piece that touches two parts is among
        them); None if the outer edges cannot be told apart by part, or closing the whole
        union costs less (few outer vertices, or many windows).
    """
    outer = int(shapely.get_num_coordinates(filled))
    if outer < MIN_OUTER_VERTICES:
        return None
    edges = _outer_edges(filled, parts)
    if edges is None:
        return None
    seeds = _seed_boxes(*edges, reach=PAIR_FACTOR * width, margin=_MARGIN_FACTOR * width)
    if not len(seeds):
        return []
    boxes = _merged(seeds)
    if len(boxes) * VERTICES_PER_WINDOW > outer:
        return None
    return _Windows(polys, width).pieces(boxes)


def _vertex_keys(xy: NDArray[np.float64]) -> NDArray[np.uint64]:
    """Hash each coordinate pair's bits into one integer (collisions are checked after)."""
    bits = np.ascontiguousarray(xy, dtype=np.float64).view(np.uint64)
    with np.errstate(over="ignore"):
        return bits[:, 0] ^ (bits[:, 1] * np.uint64(0x9E3779B97F4A7C15))


def _outer_edges(
    filled: BaseGeometry, parts: NDArray[np.object_]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]] | None:
    """Return the outer rings' edges (start, end points) and the index of the part of each.

    An edge whose part is ambiguous (both ends shared by several parts, or not found) gets
    :data:`_ANY`. None if more than :data:`_UNMATCHED_SHARE` of the vertices are not found.
    """
    shells = shapely.get_exterior_ring(shapely.get_parts(filled))
    xy, ring = shapely.get_coordinates(shells, return_index=True)
    keys, first, inverse = np.unique(_vertex_keys(xy), return_index=True, return_inverse=True)
    index = pd.Index(keys)
    none = np.iinfo(np.int64).max
    low = np.full(len(keys), none)
    high = np.full(len(keys), -1)
    for chunk in _chunks(parts):  # a few MB at a time: all 786 k vertices at once is 45 MB
        polys, owner = shapely.get_parts(parts[chunk], return_index=True)
        pxy, pidx = shapely.get_coordinates(shapely.get_exterior_ring(polys), return_index=True)
        label = chunk[owner[pidx]]
        hit = index.get_indexer(_vertex_keys(pxy))
        found = hit >= 0
        same_point = np.all(pxy[found] == xy[first[hit[found]]], axis=1)
        found[np.flatnonzero(found)[~same_point]] = False  # a hash collision
        np.minimum.at(low, hit[found], label[found])
        np.maximum.at(high, hit[found], label[found])
    vertex = np.where(low == none, -1, np.where(low == high, low, _ANY))[inverse]
    if np.count_nonzero(vertex == -1) > _UNMATCHED_SHARE * len(vertex):
        return None
    same = ring[:-1] == ring[1:]
    a, b = vertex[:-1][same], vertex[1:][same]
    label = np.where(
        (a == b) & (a >= 0),
        a,
        np.where((a == _ANY) & (b >= 0), b, np.where((b == _ANY) & (a >= 0), a, _ANY)),
    )
    return xy[:-1][same], xy[1:][same], label


def _chunks(parts: NDArray[np.object_], vertices: int = 100_000) -> list[NDArray[np.intp]]:
    """Split the parts' indices into runs of about ``vertices`` vertices each."""
    total = np.cumsum(shapely.get_num_coordinates(parts))
    cuts = np.searchsorted(total, np.arange(vertices, int(total[-1]), vertices), side="right")
    return [c for c in np.split(np.arange(len(parts)), np.unique(cuts)) if len(c)]


def _hot_edges(
    start: NDArray[np.float64], end: NDArray[np.float64], label: NDArray[np.int64], reach: float
) -> NDArray[np.intp]:
    """Return the edges sharing a grid cell (edges grown by ``reach``) with another part's.

    A cheap filter before the exact distance test: edges of two parts within ``reach`` of each
    other always share a cell.
    """
    low = np.minimum(start, end) - reach
    high = np.maximum(start, end) + reach
    origin = low.min(axis=0)
    cell = max(2 * reach, float(np.median(np.linalg.norm(end - start, axis=1))))
    while True:
        first = np.floor((low - origin) / cell).astype(np.int64)
        last = np.floor((high - origin) / cell).astype(np.int64)
        span = last - first + 1
        count = span[:, 0] * span[:, 1]
        if count.sum() <= 8 * len(count):
            break
        cell *= 2
    # One entry per (edge, cell), packed as cell * kinds + label, sorted: a cell is mixed when
    # its first and last labels differ (or one is _ANY). Small integers and no copies kept:
    # this runs beside the coverage check, at the job's peak of memory.
    edge = np.repeat(np.arange(len(count), dtype=np.int32), count)
    offset = np.arange(int(count.sum()), dtype=np.int32)
    offset -= np.repeat((np.cumsum(count) - count).astype(np.int32), count)
    width = span[edge, 0].astype(np.int32)
    rows = int(last[:, 1].max()) + 1
    kinds = int(label.max()) + 1 - _ANY
    packed = (first[edge, 0] + offset % width) * rows + (first[edge, 1] + offset // width)
    del offset, width
    packed *= kinds
    packed += label[edge] - _ANY
    order = np.argsort(packed)
    packed, edge = packed[order], edge[order]
    del order
    cells = packed // kinds
    head = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]])
    del cells
    tail = np.r_[head[1:] - 1, len(packed) - 1]
    mixed = (packed[head] % kinds != packed[tail] % kinds) | (packed[head] % kinds < -_ANY)
    return np.unique(edge[np.repeat(mixed, tail - head + 1)]).astype(np.intp)


def _seed_boxes(
    start: NDArray[np.float64],
    end: NDArray[np.float64],
    label: NDArray[np.int64],
    *,
    reach: float,
    margin: float,
) -> NDArray[np.float64]:
    """Boxes (xmin, ymin, xmax, ymax) around each pair of edges of different parts within reach."""
    hot = _hot_edges(start, end, label, reach)
    if not len(hot):
        return np.empty((0, 4))
    lines = shapely.linestrings(np.stack([start[hot], end[hot]], axis=1))
    left, right = shapely.STRtree(lines).query(lines, predicate="dwithin", distance=reach)
    lab = label[hot]
    keep = (left < right) & ((lab[left] != lab[right]) | (lab[left] < 0))
    left, right = hot[left[keep]], hot[right[keep]]
    points = np.stack([start[left], end[left], start[right], end[right]], axis=1)
    return np.hstack([points.min(axis=1) - margin, points.max(axis=1) + margin])


def _merged(boxes: NDArray[np.float64]) -> NDArray[np.float64]:
    """Merge overlapping boxes (repeatedly: a merged box may reach others) into their bounds."""
    while len(boxes) > 1:
        tree = shapely.STRtree(shapely.box(*boxes.T))
        left, right = tree.query(shapely.box(*boxes.T), predicate="intersects")
        root = np.arange(len(boxes))
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            a, b = _find(root, i), _find(root, j)
            if a != b:
                root[max(a, b)] = min(a, b)
        group = np.array([_find(root, i) for i in range(len(boxes))])
        if len(np.unique(group)) == len(boxes):
            break
        keys, group = np.unique(group, return_inverse=True)
        merged = np.empty((len(keys), 4))
        merged[:, :2], merged[:, 2:] = np.inf, -np.inf
        for k in range(4):
            (np.minimum if k < 2 else np.maximum).at(merged[:, k], group, boxes[:, k])
        boxes = merged
    return boxes


def _find(root: NDArray[np.int64], i: int) -> int:
    while root[i] != i:
        root[i] = root[root[i]]
        i = int(root[i])
    return i


class _Windows:
    """The union's polygons indexed, to close it one window at a time."""

    def __init__(self, polys: list[BaseGeometry], width: float) -> None:
        self.polys = np.array(polys, dtype=object)
        self.tree = shapely.STRtree(self.polys)
        holes = [shapely.Polygon(ring) for poly in polys for ring in poly.interiors]
        self.holes = shapely.STRtree(holes) if holes else None
        self.width = width

    def pieces(self, seeds: NDArray[np.float64]) -> list[BaseGeometry]:  # merged seeds
        """Close every window, growing those a piece runs out of, until none does."""
        done: dict[tuple[float, ...], list[BaseGeometry]] = {}
        boxes = seeds
        while True:
            grown = []
            for box in boxes:
                key = tuple(float(v) for v in box)
                if key not in done:
                    found, sides = self._close(box)
                    if any(sides):
                        grown.append(self._grow(box, sides))
                        continue
                    done[key] = found
                grown.append(box)
            if all(tuple(float(v) for v in box) in done for box in grown):
                return [p for box in grown for p in done[tuple(float(v) for v in box)]]
            boxes = _merged(np.array(grown))

    def _grow(self, box: NDArray[np.float64], sides: tuple[bool, ...]) -> NDArray[np.float64]:
        step = np.maximum(_MARGIN_FACTOR * self.width, [box[2] - box[0], box[3] - box[1]] * 2)
        grown: NDArray[np.float64] = box + np.array(sides) * step * np.array([-1, -1, 1, 1])
        return grown

    def _close(self, box: NDArray[np.float64]) -> tuple[list[BaseGeometry], tuple[bool, ...]]:
        """Return the closing's pieces in ``box`` and the sides of it that pieces run out of.

        Pieces are kept as the overlay made them (not cut to the box), so a piece inside the
        window is the very polygon the closing of the whole union gives.
        """
        reach = REACH_FACTOR * self.width
        outer = (box[0] - reach, box[1] - reach, box[2] + reach, box[3] + reach)
        near = self.polys[self.tree.query(shapely.box(*outer))]
        if not len(near):
            return [], (False,) * 4
        local = _clipped(near, outer)
        added = polygonal(shapely.difference(closing(local, self.width), local))
        residue = _EDGE_RESIDUE_ULPS * float(np.spacing(np.abs(box).max()))
        frame = shapely.box(*box)
        found: list[BaseGeometry] = []
        sides = [False] * 4
        for piece in shapely.get_parts(added):
            b = piece.bounds
            if b[2] < box[0] or b[0] > box[2] or b[3] < box[1] or b[1] > box[3]:
                continue  # another window's, or the clipping's own
            if b[0] >= box[0] and b[1] >= box[1] and b[2] <= box[2] and b[3] <= box[3]:
                found.append(piece)
            elif shapely.intersection(piece, frame.exterior).length > residue:
                for k in range(4):  # cut by the window: grow it on the sides it crosses
                    sides[k] = sides[k] or (b[k] < box[k] if k < 2 else b[k] > box[k])
            elif shapely.within(shapely.point_on_surface(piece), frame):
                found.append(piece)  # touches the frame only by a float residue: whole
        return self._outside_holes(found), tuple(sides)

    def _outside_holes(self, found: list[BaseGeometry]) -> list[BaseGeometry]:
        """Drop the pieces inside the union's holes (the filled union covers them)."""
        if not found or self.holes is None:
            return found
        points = shapely.point_on_surface(np.array(found, dtype=object))
        inside = set(self.holes.query(points, predicate="within")[0].tolist())
        return [p for i, p in enumerate(found) if i not in inside]


def _clipped(polys: NDArray[np.object_], box: tuple[float, ...]) -> BaseGeometry:
    """Return the union's polygons cut to ``box`` (an overlay if the fast clip is not valid)."""
    clipped = shapely.clip_by_rect(polys, *box)
    local = shapely.multipolygons(
        [p for p in shapely.get_parts(clipped) if p.geom_type == "Polygon" and p.area > 0.0]
    )
    if shapely.is_valid(local):
        return local
    cut = shapely.intersection(polys, shapely.box(*box))
    return polygonal(shapely.union_all(cut))
