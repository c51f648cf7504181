"""Footprint intersections on the sphere, vectorised over a whole catalog.

Every product's footprint (:mod:`archive_fed.geometry`: great-circle edges, parts cut at 0°/360°, polar
caps closed through the pole) becomes *parts* in flat numpy arrays: the vertices of each part, its kind
(point, line, polygon) and a lon/lat box that holds the part on the sphere — its latitude range includes
the poleward bulge of great-circle edges, so the box never misses a product. A product with a box but no
footprint polygon is searched as its box (:func:`~archive_fed.geometry.polygon_from_bounds`).

A query (polygon or spherical cap) first keeps the parts whose box meets the query's box (a few
comparisons per part), then tests those exactly:

- polygon query: the part and the query intersect when one of their great-circle edges cross, or a
  vertex of one lies inside the other (with no crossing, one holds the other whole or they are
  apart);
- cap query (point + radius): the part's nearest point to the centre, over its vertices, its edges and
  its interior, is within the radius.

Point-in-polygon is the winding number on the sphere: the angles each edge subtends at a point ``p`` sum
to ±2π when exactly one of ``p`` and its antipode lies inside the part, 0 otherwise. Every part lies
within 90° of the centre of its box (boxes are cut at most 90° wide, scenes are far smaller than a
hemisphere), so ``p`` is the one inside when it is also on the part's side of the sphere.

Shortcuts, each decided only when it cannot change the answer (each has a test against the exact
rule it stands in for):

- a part with a pole as a vertex is the sector its other vertices bound with that pole: its box keeps
  their longitudes, and the pole itself is met through the box test's pole rule (a box reaching a pole
  meets every part that reaches it) and the shared-pole test;
- per part, a bounding cap (computed once) decides most candidates: far from the query, or (cap
  queries) wholly within the radius; a representative vertex inside the query (planar even-odd rule in
  the gnomonic projection about the query part's cap) decides most hits of a large query;
- long parts (the densified parallels of polar and wide boxes) keep their edges in *runs* of
  :data:`RUN` with a cap and a lon/lat window each: a query builds the edges of the runs near its own
  edges (or holding its test point) only, the *chord* of each other run standing in for it in the
  winding sum (:func:`nearby_arcs`);
- query edges are tried against candidate edges in order of longitude (:func:`window_pairs`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import geometry as geo
from ..errors import GeometryError

POINT, LINE, POLYGON = 0, 1, 2
#: Parts per block when computing the latitude reach of their edges (bounds the memory used).
BULGE_BLOCK = 100_000
#: Pairs (candidate × query) evaluated at once by the vectorised tests.
BLOCK = 1 << 20
#: Cut query polygons into parts at most this wide (degrees of longitude) for the winding test.
QUERY_PART_WIDTH = 90.0


def to_xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lo, la = np.radians(lon), np.radians(lat)
    c = np.cos(la)
    return np.stack([c * np.cos(lo), c * np.sin(lo), np.sin(la)], axis=-1)


@dataclass
class Parts:
    """Footprint parts in flat arrays (``start[i]:start[i+1]`` are part ``i``'s vertices)."""

    row: np.ndarray      # int64 (P,) product row of each part
    kind: np.ndarray     # int8 (P,) POINT / LINE / POLYGON
    start: np.ndarray    # int64 (P + 1,) vertex offsets
    lon: np.ndarray      # float64 (V,)
    lat: np.ndarray      # float64 (V,)
    box: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # lon_min, lon_max, lat_min, lat_max
    pole: np.ndarray | None = None  # int8 (P,): +1 / -1 when a vertex is the north / south pole, else 0
    xyz: np.ndarray | None = None   # float64 (V, 3): the vertices as unit vectors
    _caps: tuple[np.ndarray, np.ndarray] | None = None  # bounding_caps(), computed once
    _reps: np.ndarray | None = None                      # representative() of every part, once
    _counts: np.ndarray | None = None                    # vertices per part, once
    _runs: "Runs | None" = None                          # runs(), computed once

    @property
    def size(self) -> int:
        return len(self.row)

    @property
    def counts(self) -> np.ndarray:
        """Vertices per part (int64, (P,))."""
        if self._counts is None or len(self._counts) != self.size:
            self._counts = np.diff(self.start)
        return self._counts


# ---- building parts --------------------------------------------------------------------------------
_SIMPLE_PREFIX = "010300000001000000"  # WKB little endian Polygon with one ring


def parts_from_columns(footprint: np.ndarray, lon_min: np.ndarray, lon_max: np.ndarray,
                       lat_min: np.ndarray, lat_max: np.ndarray) -> Parts:
    """Parts of every product: its footprint (hex WKB), else its lon/lat box, else none."""
    text = np.asarray(footprint, dtype=object)
    n = len(text)
    has = np.array([bool(t) for t in text.tolist()], dtype=bool) if n else np.zeros(0, dtype=bool)
    pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []  # row, kind, counts, lonlat
    rows = np.flatnonzero(has)
    if rows.size:
        lengths = np.fromiter((len(t) for t in text[rows].tolist()), dtype=np.int64, count=rows.size)
        simple = np.fromiter((t.startswith(_SIMPLE_PREFIX) for t in text[rows].tolist()), dtype=bool,
                             count=rows.size)
        for length in np.unique(lengths[simple]):
            group = rows[simple & (lengths == length)]
            raw = np.frombuffer(bytes.fromhex("".join(text[group].tolist())), dtype=np.uint8)
            raw = raw.reshape(group.size, int(length) // 2)
            count = int.from_bytes(raw[0, 9:13].tobytes(), "little")
            coords = np.ascontiguousarray(raw[:, 13:13 + 16 * count]).view("<f8").reshape(group.size, count, 2)
            if count > 1 and np.array_equal(coords[:, 0], coords[:, -1]):
                coords = coords[:, :-1]  # the closing vertex
            k = coords.shape[1]
            pieces.append((group, np.full(group.size, POLYGON, np.int8), np.full(group.size, k),
                           coords.reshape(-1, 2)))
        point = ~simple & (lengths == 42) & np.fromiter(
            (t.startswith("0101000000") for t in text[rows].tolist()), dtype=bool, count=rows.size)
        if point.any():  # landers: little-endian WKB Points
            raw = np.frombuffer(bytes.fromhex("".join(text[rows[point]].tolist())), dtype=np.uint8)
            coords = np.ascontiguousarray(raw.reshape(-1, 21)[:, 5:]).view("<f8").reshape(-1, 2)
            pieces.append((rows[point], np.full(int(point.sum()), POINT, np.int8), np.ones(int(point.sum())),
                           coords))
        for row in rows[~simple & ~point].tolist():
            _add_geometry(pieces, row, geo.decode(text[row]))
    boxed = np.flatnonzero(~has & ~(np.isnan(lon_min) | np.isnan(lon_max) | np.isnan(lat_min)
                                    | np.isnan(lat_max)))
    for row in _boxes_in_bulk(pieces, boxed, lon_min, lon_max, lat_min, lat_max).tolist():
        _add_geometry(pieces, row, geo.polygon_from_bounds(float(lon_min[row]), float(lon_max[row]),
                                                           float(lat_min[row]), float(lat_max[row])))
    return _assemble(pieces)


def _boxes_in_bulk(pieces: list, rows: np.ndarray, lon_min: np.ndarray, lon_max: np.ndarray,
                   lat_min: np.ndarray, lat_max: np.ndarray) -> np.ndarray:
    """Points and boxes of ``rows`` as parts, exactly as :func:`~archive_fed.geometry.polygon_from_bounds`
    builds them, for the common kinds (points; boxes up to 90° wide, across 0°/360° or not; 0–360
    caps and bands); returns the rows left to it."""
    west, east = lon_min[rows], lon_max[rows]
    south, north = np.minimum(lat_min[rows], lat_max[rows]), np.maximum(lat_min[rows], lat_max[rows])
    known = (west >= 0) & (west < 360.0) & (east >= 0) & (east <= 360.0) & (south >= -90.0) & (north <= 90.0)
    point = known & (west == east) & (south == north) & (np.abs(south) < 90.0)
    if point.any():
        pieces.append((rows[point], np.full(int(point.sum()), POINT, np.int8), np.ones(int(point.sum())),
                       np.stack([west[point], south[point]], axis=1)))
    area = known & (south < north)
    full = area & (east - west >= 360.0 - 1e-9)
    plain = area & ~full & (west < east) & (east - west <= geo.PART_WIDTH) & (east < 360.0)
    crossing = area & ~full & (west > east) & (east + 360.0 - west <= geo.PART_WIDTH)
    parts = [(rows[plain], west[plain], east[plain], south[plain], north[plain]),
             (rows[crossing], west[crossing], np.full(int(crossing.sum()), 360.0), south[crossing],
              north[crossing]),
             (rows[crossing], np.zeros(int(crossing.sum())), east[crossing], south[crossing], north[crossing])]
    parts += [(rows[full], np.full(int(full.sum()), k * 90.0), np.full(int(full.sum()), (k + 1) * 90.0),
               south[full], north[full]) for k in range(4)]
    r, w, e, lo, hi = (np.concatenate(x) for x in zip(*parts))
    keep = e > w  # a crossing box starting on 0° has no part before it
    r, w, e, lo, hi = r[keep], w[keep], e[keep], lo[keep], hi[keep]
    steps = np.maximum(1, np.ceil((e - w) / geo.PARALLEL_STEP - 1e-9)).astype(np.int64)
    groups = np.stack([steps, lo <= -90.0, hi >= 90.0], axis=1)
    for n, at_south, at_north in np.unique(groups, axis=0).tolist():
        pick = (steps == n) & ((lo <= -90.0) == bool(at_south)) & ((hi >= 90.0) == bool(at_north))
        ww, ee, ss, tt = (a[pick][:, None] for a in (w, e, lo, hi))
        frac = (np.array([0.0, 1.0]) if at_south else np.arange(n + 1) / n)[None, :]
        bottom_lon, bottom_lat = ww + (ee - ww) * frac, np.repeat(ss, frac.shape[1], axis=1)
        frac = (np.array([0.0, 1.0]) if at_north else np.arange(n + 1) / n)[None, :]
        top_lon, top_lat = ee - (ee - ww) * frac, np.repeat(tt, frac.shape[1], axis=1)
        lon = np.concatenate([bottom_lon, top_lon], axis=1)
        lat = np.concatenate([bottom_lat, top_lat], axis=1)
        pieces.append((r[pick], np.full(int(pick.sum()), POLYGON, np.int8), np.full(int(pick.sum()), lon.shape[1]),
                       np.stack([lon, lat], axis=2).reshape(-1, 2)))
    return rows[~(point | plain | crossing | full)]


def parts_from_geometry(geometry: dict[str, Any]) -> Parts:
    pieces: list = []
    _add_geometry(pieces, 0, geometry)
    return _assemble(pieces)


def _add_geometry(pieces: list, row: int, geometry: dict[str, Any] | None) -> None:
    if geometry is None:
        return
    for kind, ring in geo.iter_rings(geometry):
        if not ring:
            continue
        code = {"point": POINT, "line": LINE, "polygon": POLYGON}[kind]
        coords = np.array(ring, dtype=np.float64).reshape(-1, 2)
        pieces.append((np.array([row]), np.array([code], np.int8), np.array([len(coords)]), coords))


def _assemble(pieces: list) -> Parts:
    if not pieces:
        empty = np.zeros(0)
        return Parts(np.zeros(0, np.int64), np.zeros(0, np.int8), np.zeros(1, np.int64), empty, empty,
                     (empty, empty, empty, empty))
    row = np.concatenate([p[0] for p in pieces]).astype(np.int64)
    kind = np.concatenate([p[1] for p in pieces])
    counts = np.concatenate([p[2] for p in pieces]).astype(np.int64)
    coords = np.concatenate([p[3] for p in pieces])
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    lon = np.mod(coords[:, 0], 360.0)
    lon = np.where(coords[:, 0] == 360.0, 360.0, lon)  # a part's east edge on the meridian stays 360
    lat = coords[:, 1]
    if np.any(np.abs(lat) > 90.0) or not np.all(np.isfinite(coords)):
        raise GeometryError("footprint latitudes must be finite and within [-90, 90]")
    parts = Parts(row, kind, start, lon, lat, (lon, lon, lat, lat))
    parts.xyz = to_xyz(lon, lat)
    parts.box = _boxes(parts)
    first = start[:-1]
    north = np.maximum.reduceat(lat, first) >= 90.0 if len(first) else np.zeros(0, dtype=bool)
    south = np.minimum.reduceat(lat, first) <= -90.0 if len(first) else np.zeros(0, dtype=bool)
    parts.pole = np.where(north, 1, np.where(south, -1, 0)).astype(np.int8)
    return parts


def _boxes(parts: Parts) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per part: a lon/lat box (SPEC §1 convention) that holds it on the sphere."""
    start = parts.start[:-1]
    counts = parts.counts
    lon_lo = np.minimum.reduceat(parts.lon, start) if len(start) else np.zeros(0)
    lon_hi = np.maximum.reduceat(parts.lon, start) if len(start) else np.zeros(0)
    lat_lo = np.minimum.reduceat(parts.lat, start) if len(start) else np.zeros(0)
    lat_hi = np.maximum.reduceat(parts.lat, start) if len(start) else np.zeros(0)
    # a part with one pole as a vertex and its other vertices within 90° of longitude is the sector
    # they bound with that pole: its other points keep within their longitudes (edges between them
    # span less than 180° and do not pass over a pole; edges to the pole run along their meridians)
    polar = (lat_hi >= 90.0) != (lat_lo <= -90.0)
    off_pole = np.abs(parts.lat) < 90.0
    sector_lo = np.minimum.reduceat(np.where(off_pole, parts.lon, np.inf), start) if len(start) else lon_lo
    sector_hi = np.maximum.reduceat(np.where(off_pole, parts.lon, -np.inf), start) if len(start) else lon_hi
    sector = polar & (sector_lo <= sector_hi) & (sector_hi - sector_lo <= QUERY_PART_WIDTH)
    # great-circle edges bulge poleward: the extreme latitude of each edge whose apex lies on it
    for begin in range(0, parts.size, BULGE_BLOCK):
        which = np.arange(begin, min(begin + BULGE_BLOCK, parts.size))
        north, south = _bulges(parts, which)
        lat_hi[which] = np.maximum(lat_hi[which], north)
        lat_lo[which] = np.minimum(lat_lo[which], south)
    # any other part reaching a pole, or wider than half the globe in its vertices, gets every longitude;
    # a pole is common to every part reaching it, which the box test takes apart from longitudes
    # (search.SearchIndex.box_mask: a box reaching a pole meets every part that reaches it)
    wide = ((lon_hi - lon_lo > 180.0) | (lat_hi >= 90.0) | (lat_lo <= -90.0)) & ~sector
    lon_lo = np.where(sector, sector_lo, np.where(wide, 0.0, lon_lo))
    lon_hi = np.where(sector, sector_hi, np.where(wide, 360.0, lon_hi))
    single = counts == 1
    lon_hi = np.where(single & ~wide, lon_lo, lon_hi)
    return lon_lo, lon_hi, lat_lo, lat_hi


def _bulges(parts: Parts, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per part of ``which``: the northernmost and southernmost latitude its great-circle edges reach
    between their vertices (-inf / +inf when none bulges past its ends)."""
    north = np.full(which.size, -np.inf)
    south = np.full(which.size, np.inf)
    a, b, part = edges(parts, which)
    if len(a):
        edge_north, edge_south = edge_bulges(a, b)
        np.maximum.at(north, part, edge_north)
        np.minimum.at(south, part, edge_south)
    return north, south


def edge_bulges(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per great-circle edge ``a → b``: the latitude of its northern / southern apex where that apex lies
    between its ends (-inf / +inf where it does not, and for degenerate edges)."""
    north = np.full(len(a), -np.inf)
    south = np.full(len(a), np.inf)
    n = _cross(a, b)
    norm = np.linalg.norm(n, axis=1)
    ok = np.flatnonzero(norm > 1e-15)
    n = n[ok] / norm[ok, None]
    a, b = a[ok], b[ok]
    apex_lat = np.degrees(np.arccos(np.clip(np.abs(n[:, 2]), 0.0, 1.0)))
    u = -n[:, 2:3] * n  # the northern apex (z - nz n) / |z - nz n|
    u[:, 2] += 1.0
    u_norm = np.linalg.norm(u, axis=1)
    good = u_norm > 1e-15
    u[good] /= u_norm[good, None]
    for sign, extreme in ((1.0, north), (-1.0, south)):
        w = sign * u
        on_arc = good & (np.einsum("ij,ij->i", _cross(a, w), n) > 0) \
            & (np.einsum("ij,ij->i", _cross(w, b), n) > 0)
        extreme[ok[on_arc]] = sign * apex_lat[on_arc]
    return north, south


def edge_counts(parts: Parts, which: np.ndarray) -> np.ndarray:
    """Great-circle edges of each part ``which``: polygons are closed, lines are not, points have none."""
    counts = parts.counts[which]
    kind = parts.kind[which]
    n_edges = np.where(kind == POLYGON, counts, np.where(kind == LINE, counts - 1, 0))
    return np.where((kind == POLYGON) & (counts < 3), np.maximum(counts - 1, 0), n_edges)


def _spans(parts: Parts, part: np.ndarray, lo: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, ...]:
    """Vertex indices ``(ia, ib)`` of edges ``lo[k] .. lo[k] + n[k] - 1`` of part ``part[k]``, per span
    ``k``, and the span of each edge."""
    owner = np.repeat(np.arange(part.size), n)
    first = np.cumsum(n) - n
    local = lo[owner] + (np.arange(int(n.sum())) - first[owner])
    base = parts.start[part][owner]
    return base + local, base + (local + 1) % parts.counts[part][owner], owner


def edge_index(parts: Parts, which: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertex indices ``(ia, ib)`` of every edge of the parts ``which``, and the position in ``which`` of
    each edge's part."""
    which = np.asarray(which, dtype=np.int64)
    return _spans(parts, which, np.zeros(which.size, np.int64), edge_counts(parts, which))


def _vertices(parts: Parts, index: np.ndarray) -> np.ndarray:
    return parts.xyz[index] if parts.xyz is not None else to_xyz(parts.lon[index], parts.lat[index])


def edges(parts: Parts, which: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Great-circle edges ``a → b`` (unit vectors) of the parts ``which``, and the position in ``which``
    of each edge's part. Polygons are closed; points have none."""
    ia, ib, owner = edge_index(parts, which)
    return _vertices(parts, ia), _vertices(parts, ib), owner


#: Parts with more edges than this (densified parallels of polar caps and wide boxes) keep their edges
#: in runs of :data:`RUN` consecutive edges, each with a bounding cap: a query builds only the edges of
#: runs near it (:func:`nearby_arcs`).
LONG_PART = 16
RUN = 8


@dataclass
class Runs:
    """Runs of consecutive edges of the long parts: part ``i``'s are ``first[i]:first[i+1]``."""

    first: np.ndarray   # int64 (P + 1,)
    lo: np.ndarray      # int64 (R,) the run's first edge, counted within its part
    n: np.ndarray       # int64 (R,) edges in the run
    centre: np.ndarray  # float64 (R, 3) bounding cap of the run's vertices (and so of its edges)
    radius: np.ndarray  # float64 (R,) radians, π when unbounded
    box: np.ndarray     # float64 (R, 4) lon_min, lon_max, lat_min, lat_max holding the run's edges


def runs(parts: Parts) -> Runs:
    """The :class:`Runs` of ``parts``, computed once per index and kept."""
    if parts._runs is None:
        n_edges = edge_counts(parts, np.arange(parts.size))
        per = np.where(n_edges > LONG_PART, -(-n_edges // RUN), 0)
        first = np.concatenate([[0], np.cumsum(per)]).astype(np.int64)
        part = np.repeat(np.arange(parts.size), per)
        lo = (np.arange(part.size) - first[:-1][part]) * RUN
        n = np.minimum(RUN, n_edges[part] - lo)
        centre = np.zeros((part.size, 3))
        radius = np.full(part.size, math.pi)
        box = np.zeros((part.size, 4))
        for b in range(0, part.size, BULGE_BLOCK):
            s_ = slice(b, b + BULGE_BLOCK)
            # the run's n + 1 vertices, padded with its last
            offset = np.minimum(np.arange(RUN + 1)[None, :], n[s_, None])
            index = parts.start[part[s_], None] + (lo[s_, None] + offset) % parts.counts[part[s_], None]
            v = _vertices(parts, index.ravel()).reshape(index.shape + (3,))
            total = v.sum(axis=1)
            norm = np.linalg.norm(total, axis=1)
            good = norm > 1e-12
            c = total / np.where(good, norm, 1.0)[:, None]
            r = np.arccos(np.clip(np.einsum("rkj,rj->rk", v, c).min(axis=1), -1.0, 1.0)) + CAP_MARGIN
            centre[s_] = c
            radius[s_] = np.where(good & (r < math.pi / 2 - 1e-6), r, math.pi)
            # the window: its vertices' longitudes (each edge keeps within its ends'), their latitudes
            # widened by half its longest edge (no point of an edge is farther than that from an end)
            lat = parts.lat[index]
            half = np.degrees(np.arccos(np.clip(np.einsum("rkj,rkj->rk", v[:, :-1], v[:, 1:]), -1.0, 1.0)
                                        ).max(axis=1)) / 2
            box[s_] = np.stack([parts.lon[index].min(axis=1), parts.lon[index].max(axis=1),
                                np.maximum(lat.min(axis=1) - half, -90.0),
                                np.minimum(lat.max(axis=1) + half, 90.0)], axis=1)
        parts._runs = Runs(first, lo, n, centre, radius, box)
    return parts._runs


# ---- predicates -------------------------------------------------------------------------------------
def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cross products of (N, 3) arrays (numpy's cross costs more per call than it computes)."""
    return np.stack([a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1], a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2],
                     a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]], axis=1)


@dataclass
class Arcs:
    """Great-circle arcs ``a → b`` with their normals ``n = a × b`` and ``ab = a · b``."""

    a: np.ndarray
    b: np.ndarray
    owner: np.ndarray
    n: np.ndarray | None = None
    ab: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.n is None:
            self.n = _cross(self.a, self.b) if len(self.a) else np.zeros((0, 3))
            self.ab = np.einsum("ij,ij->i", self.a, self.b)

    def take(self, which: Any) -> "Arcs":
        return Arcs(self.a[which], self.b[which], self.owner[which], self.n[which], self.ab[which])

    def __len__(self) -> int:
        return len(self.a)


def arcs(parts: Parts, which: np.ndarray) -> Arcs:
    return Arcs(*edges(parts, which))


def _lon_ranges(parts: Parts, ia: np.ndarray, ib: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes each edge ``ia → ib`` stays within: parts lie in [0, 360] and an edge spans less than
    180° of longitude, so a great-circle arc keeps between its ends' longitudes; an edge to a pole runs
    along the meridian of its other end (an edge from pole to pole is that one point: no longitudes)."""
    la, lb = parts.lon[ia], parts.lon[ib]
    pa, pb = np.abs(parts.lat[ia]) >= 90.0, np.abs(parts.lat[ib]) >= 90.0
    la, lb = np.where(pa, lb, la), np.where(pb, la, lb)
    both = pa & pb
    return np.where(both, np.inf, np.minimum(la, lb)), np.where(both, -np.inf, np.maximum(la, lb))


def _distances(points: np.ndarray, a: np.ndarray, b: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Angular distance (radians) from each of ``points`` (M, 3) to the arc ``a[m] → b[m]`` (normal
    ``n[m]``), row by row: to its nearest point on the arc's great circle when that falls between its
    ends, else to the nearer end."""
    norm = np.linalg.norm(n, axis=1)
    ends = np.minimum(_angles(points, a), _angles(points, b))
    ok = norm > 1e-15
    n_hat = n / np.where(ok, norm, 1.0)[:, None]
    off = np.einsum("ij,ij->i", n_hat, points)
    q = points - off[:, None] * n_hat  # each point's projection onto its arc's great circle
    ok &= np.linalg.norm(q, axis=1) > 1e-15
    within = ok & (np.einsum("ij,ij->i", _cross(a, q), n) >= 0) & (np.einsum("ij,ij->i", _cross(q, b), n) >= 0)
    across = np.arcsin(np.clip(np.abs(off), 0.0, 1.0))
    return np.where(within, np.minimum(across, ends), ends)


def _angles(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Angle between unit vectors ``u`` and ``v``, row by row (robust near 0)."""
    return np.arctan2(np.linalg.norm(_cross(u, v), axis=1), np.einsum("ij,ij->i", u, v))


def _lat_ranges(e: Arcs) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes (degrees) each arc of ``e`` stays within, exactly: its ends' and its apexes' between
    them (:func:`edge_bulges`)."""
    lat_a = np.degrees(np.arcsin(np.clip(e.a[:, 2], -1.0, 1.0)))
    lat_b = np.degrees(np.arcsin(np.clip(e.b[:, 2], -1.0, 1.0)))
    north, south = edge_bulges(e.a, e.b)
    return np.minimum(np.minimum(lat_a, lat_b), south), np.maximum(np.maximum(lat_a, lat_b), north)


def box_windows(box: tuple[float, float, float, float]) -> np.ndarray:
    """A lon/lat box (lon_min, lon_max, lat_min, lat_max; lon_min may be below 0 and lon_max past 360)
    as windows (rows of lon_min, lon_max, lat_min, lat_max) within [0, 360]."""
    lon_lo, lon_hi, lat_lo, lat_hi = box
    if lon_hi - lon_lo >= 360.0:
        spans = [(0.0, 360.0)]
    elif lon_lo < 0.0:
        spans = [(lon_lo + 360.0, 360.0), (0.0, max(lon_hi, 0.0))]
    elif lon_hi > 360.0:
        spans = [(lon_lo, 360.0), (0.0, lon_hi - 360.0)]
    else:
        spans = [(lon_lo, lon_hi)]
    return np.array([(w, e, lat_lo, lat_hi) for w, e in spans], dtype=np.float64)


def window_pairs(windows: np.ndarray, q_windows: np.ndarray) -> Any:
    """Pairs (``i``, ``k``) of a row of ``windows`` and a row of ``q_windows`` (rows of lon_min,
    lon_max, lat_min, lat_max; longitudes within [0, 360]) that meet, in blocks.

    The query's windows are taken in order of their west ends: a window is tried only against those
    starting no farther west than its own west end less the widest query window, and not east of its
    east end (a densified parallel of a query has hundreds of short arcs, each meeting a few
    candidates). Empty windows (lon_min > lon_max) meet nothing."""
    order = np.flatnonzero(q_windows[:, 0] <= q_windows[:, 1])
    order = order[np.argsort(q_windows[order, 0], kind="stable")]
    west = q_windows[order, 0]
    widest = float((q_windows[order, 1] - west).max(initial=0.0))
    i0 = np.searchsorted(west, windows[:, 0] - widest, side="left")
    i1 = np.searchsorted(west, windows[:, 1], side="right")
    tries = np.maximum(i1 - i0, 0)
    step = max(1, BLOCK // max(1, int(tries.max(initial=0))))
    for b in range(0, len(windows), step):
        n = tries[b:b + step]
        i = b + np.repeat(np.arange(n.size), n)
        k = order[i0[i] + (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n))]
        w, q = windows[i], q_windows[k]
        keep = (w[:, 0] <= q[:, 1]) & (w[:, 1] >= q[:, 0]) & (w[:, 2] <= q[:, 3]) & (w[:, 3] >= q[:, 2])
        if keep.any():
            yield i[keep], k[keep]


def _runs_of(r: Runs, which: np.ndarray, long: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The runs of the parts ``which[long]``: for each, its position in ``which`` and its run index."""
    per = r.first[which[long] + 1] - r.first[which[long]]
    pos = np.repeat(long, per)
    return pos, r.first[which[pos]] + (np.arange(pos.size) - np.repeat(np.cumsum(per) - per, per))


def nearby_arcs(parts: Parts, which: np.ndarray, centre: np.ndarray, radius: float, point: np.ndarray,
                windows: np.ndarray, q_arcs: Arcs | None = None) -> tuple[Arcs, np.ndarray, np.ndarray, np.ndarray]:
    """The arcs of the parts ``which`` that a query needs, the query being held by the cap (``centre``,
    ``radius``) and its boundary by the lon/lat ``windows`` (:func:`window_pairs`) of its arcs
    ``q_arcs`` (one window per arc; none for a cap query), the winding number being taken at
    ``point``: every edge of a short part; of a long part, every edge of each run whose cap meets the
    query's and, whose window meets one of ``windows`` (and whose cap reaches that arc), or whose cap
    holds ``point`` or ``-point``; of a polygon's other runs, their chord (first vertex to last).
    Returns the arcs (``owner``: position in ``which``), their vertex indices ``ia``, ``ib`` and
    whether each is a chord.

    A chord stands in for its run in a winding sum: run and chord close a loop inside the run's cap
    (narrower than a hemisphere), which holds neither ``point`` nor ``-point``, so the loop subtends no
    angle there. A chord meets nothing the search tests: the other runs share no point with the
    query's boundary (or, for a cap, with the query).
    """
    which = np.asarray(which, dtype=np.int64)
    r = runs(parts)
    n_edges = edge_counts(parts, which)
    per = r.first[which + 1] - r.first[which]
    short = np.flatnonzero(per == 0)
    span_pos = [short]
    span_lo = [np.zeros(short.size, np.int64)]
    span_n = [n_edges[short]]
    chord_pos = np.zeros(0, np.int64)
    chord_lo = chord_n = chord_pos
    long = np.flatnonzero(per)
    if long.size:
        run_pos, rid = _runs_of(r, which, long)
        bound = r.radius[rid] < math.pi
        near = np.zeros(rid.size, dtype=bool)
        for i, k in window_pairs(r.box[rid], windows):
            if q_arcs is not None:  # and the run's cap within reach of that query arc
                i = i[_distances(r.centre[rid[i]], q_arcs.a[k], q_arcs.b[k], q_arcs.n[k]) <= r.radius[rid[i]]]
            near[i] = True
        if radius < math.pi:
            maybe = np.flatnonzero(near & bound)
            near[maybe] = _angle(centre, r.centre[rid[maybe]]) <= r.radius[rid[maybe]] + radius
        far = np.flatnonzero(~near & bound)
        # caps narrower than 90° (CAP_MARGIN wider than their vertices): a cosine decides as well
        toward = np.abs(r.centre[rid[far]] @ point)
        near[far[toward >= np.cos(r.radius[rid[far]])]] = True
        near |= ~bound
        span_pos.append(run_pos[near])
        span_lo.append(r.lo[rid[near]])
        span_n.append(r.n[rid[near]])
        chord = ~near & (parts.kind[which[run_pos]] == POLYGON)
        chord_pos, chord_lo, chord_n = run_pos[chord], r.lo[rid[chord]], r.n[rid[chord]]
    pos = np.concatenate(span_pos)
    ia, ib, owner = _spans(parts, which[pos], np.concatenate(span_lo), np.concatenate(span_n))
    owner = pos[owner]
    if chord_pos.size:
        base = parts.start[which[chord_pos]]
        ia = np.concatenate([ia, base + chord_lo])
        ib = np.concatenate([ib, base + (chord_lo + chord_n) % parts.counts[which[chord_pos]]])
        owner = np.concatenate([owner, chord_pos])
    is_chord = np.zeros(ia.size, dtype=bool)
    is_chord[ia.size - chord_pos.size:] = True
    return Arcs(_vertices(parts, ia), _vertices(parts, ib), owner), ia, ib, is_chord


#: Orientation determinants smaller than this are taken as zero: arcs on one great circle (the meridian
#: seams of cut parts) do not cross, whatever the rounding says.
COPLANAR = 1e-15


def _sign(v: np.ndarray) -> np.ndarray:
    return np.where(np.abs(v) < COPLANAR, 0.0, np.sign(v))


def crossing_pairs(e: Arcs, ei: np.ndarray, q: Arcs, qi: np.ndarray) -> np.ndarray:
    """Whether arc ``ei[k]`` of ``e`` crosses arc ``qi[k]`` of ``q``, per pair (arcs shorter than 180°):
    the four orientations (A,C,B), (B,D,A), (C,B,D), (D,A,C) agree and none is zero."""
    def dot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->i", x, y)

    n = e.n[ei]
    acb = _sign(-dot(n, q.a[qi]))
    bda = _sign(dot(n, q.b[qi]))
    out = (acb != 0) & (acb == bda)  # C and D on opposite sides of AB's circle: most pairs fail here
    maybe = np.flatnonzero(out)
    ei, qi, side = ei[maybe], qi[maybe], bda[maybe]
    cbd = _sign(-dot(e.b[ei], q.n[qi]))
    dac = _sign(dot(e.a[ei], q.n[qi]))
    out[maybe] = (side == cbd) & (cbd == dac)
    return out


def winding_at(p: np.ndarray, e: Arcs) -> np.ndarray:
    """Signed angle each arc of ``e`` subtends at the point ``p`` (3,)."""
    return np.arctan2(e.n @ p, e.ab - (e.a @ p) * (e.b @ p))


def winding_sum(points: np.ndarray, q: Arcs) -> np.ndarray:
    """Total signed angle the arcs of ``q`` subtend at each of ``points`` (M, 3), in blocks."""
    total = np.zeros(len(points))
    step = max(1, BLOCK // max(1, len(points)))
    for k in range(0, len(q), step):
        block = q.take(slice(k, k + step))
        total += np.arctan2(points @ block.n.T, block.ab - (points @ block.a.T) * (points @ block.b.T)).sum(axis=1)
    return total


def representative(parts: Parts, which: np.ndarray) -> np.ndarray:
    """One vertex (unit vector) of each part ``which``, away from cut meridians (multiples of
    :data:`QUERY_PART_WIDTH`, which include the 0°/360° seam) and the poles where the part has one, so
    it lies on another part's cut edge only by chance."""
    counts = parts.counts[which]
    owner = np.repeat(np.arange(which.size), counts)
    first = np.cumsum(counts) - counts
    vi = parts.start[which][owner] + (np.arange(int(counts.sum())) - np.repeat(first, counts))
    lon, lat = parts.lon[vi], parts.lat[vi]
    score = np.abs((lon + QUERY_PART_WIDTH / 2) % QUERY_PART_WIDTH - QUERY_PART_WIDTH / 2)
    score = np.where(np.abs(lat) >= 90.0, -1.0, score)
    top = np.flatnonzero(score == np.repeat(np.maximum.reduceat(score, first), counts))
    best = top[np.unique(owner[top], return_index=True)[1]]  # the first best vertex of each part
    return parts.xyz[vi[best]] if parts.xyz is not None else to_xyz(lon[best], lat[best])


def centres(parts: Parts, which: np.ndarray) -> np.ndarray:
    """Unit vector of each part's box centre: every point of the part lies within 90° of it."""
    lon_lo, lon_hi, lat_lo, lat_hi = (a[which] for a in parts.box)
    return to_xyz((lon_lo + lon_hi) / 2, (lat_lo + lat_hi) / 2)


#: Margin (radians, 17 mm on the Moon) by which a bounding-cap test must pass before it decides a part
#: without the exact test: rounding never turns a boundary case.
CAP_MARGIN = 1e-7


def bounding_caps(parts: Parts) -> tuple[np.ndarray, np.ndarray]:
    """Per part: the centre (unit vector) and radius (radians) of a spherical cap holding it whole.

    The centre is the normalised sum of the part's vertices, the radius the angle to its farthest vertex.
    A cap narrower than a hemisphere is convex, so it holds the great-circle edges between the vertices
    and the region they bound; a part whose cap would reach 90° or more gets radius π (no bound).
    Computed once per index and kept.
    """
    if parts._caps is None:
        if parts.size == 0:
            parts._caps = np.zeros((0, 3)), np.zeros(0)
            return parts._caps
        first = parts.start[:-1]
        xyz = parts.xyz if parts.xyz is not None else to_xyz(parts.lon, parts.lat)
        total = np.add.reduceat(xyz, first, axis=0)
        norm = np.linalg.norm(total, axis=1)
        good = norm > 1e-12
        centre = np.where(good[:, None], total / np.where(good, norm, 1.0)[:, None], np.array([0.0, 0.0, 1.0]))
        counts = parts.counts
        nearest = np.minimum.reduceat(np.einsum("ij,ij->i", xyz, np.repeat(centre, counts, axis=0)), first)
        radius = np.arccos(np.clip(nearest, -1.0, 1.0)) + CAP_MARGIN
        radius = np.where(good & (radius < math.pi / 2 - 1e-6), radius, math.pi)
        parts._caps = centre, radius
    return parts._caps


def representatives(parts: Parts) -> np.ndarray:
    """:func:`representative` of every part, computed once per index and kept."""
    if parts._reps is None:
        parts._reps = representative(parts, np.arange(parts.size)) if parts.size else np.zeros((0, 3))
    return parts._reps


def inside_part(points: np.ndarray, q: Parts, j: int) -> np.ndarray:
    """Whether each of ``points`` (M, 3) lies inside polygon part ``j`` of ``q``.

    The part lies within its bounding cap, narrower than a hemisphere: the gnomonic projection about the
    cap's centre maps its great-circle edges to straight segments and keeps inside inside, so the test is
    the planar even-odd rule there, each edge against the points in its own band of the plane (points
    sorted once). A part with no cap bound is tested by the winding number instead.
    """
    centre, radius = (a[j] for a in bounding_caps(q))
    verts = q.xyz[q.start[j]:q.start[j + 1]] if q.xyz is not None else to_xyz(
        q.lon[q.start[j]:q.start[j + 1]], q.lat[q.start[j]:q.start[j + 1]])
    if radius >= math.pi or len(verts) < 3:
        qe = arcs(q, np.array([j]))
        total = winding_sum(points, qe)
        return (np.abs(total) > math.pi) & (points @ centres(q, np.array([j]))[0] > 0)
    helper = np.array([1.0, 0.0, 0.0]) if abs(centre[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = np.cross(centre, helper)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(centre, e1)
    depth = verts @ centre
    vx, vy = (verts @ e1) / depth, (verts @ e2) / depth
    facing = points @ centre
    front = np.flatnonzero(facing > 1e-12)   # the part is all within 90° of the centre
    px = (points[front] @ e1) / facing[front]
    py = (points[front] @ e2) / facing[front]
    order = np.argsort(py, kind="stable")
    ys = py[order]
    # every (edge, point in the edge's band) pair at once, in blocks of edges
    x1, y1, x2, y2 = vx, vy, np.roll(vx, -1), np.roll(vy, -1)
    slanted = np.flatnonzero(y1 != y2)
    x1, y1, x2, y2 = x1[slanted], y1[slanted], x2[slanted], y2[slanted]
    i0 = np.searchsorted(ys, np.minimum(y1, y2), side="left")
    counts = np.searchsorted(ys, np.maximum(y1, y2), side="left") - i0
    crossings = np.zeros(front.size, dtype=np.int64)
    ends = np.cumsum(counts)
    begin = 0
    while begin < counts.size:
        stop = max(begin + 1, int(np.searchsorted(ends, ends[begin] - counts[begin] + BLOCK, side="right")))
        n = counts[begin:stop]
        edge = begin + np.repeat(np.arange(n.size), n)
        idx = order[i0[edge] + (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n))]
        left = px[idx] < x1[edge] + (py[idx] - y1[edge]) * (x2[edge] - x1[edge]) / (y2[edge] - y1[edge])
        crossings += np.bincount(idx[left], minlength=front.size)
        begin = stop
    inside = np.zeros(len(points), dtype=bool)
    inside[front] = crossings % 2 == 1
    return inside


def arc_distance(p: np.ndarray, e: Arcs) -> np.ndarray:
    """Angular distance (radians) from point ``p`` (3,) to each arc of ``e``."""
    return _distances(np.broadcast_to(p, e.a.shape), e.a, e.b, e.n)


def _angle(p: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Angle between unit vector ``p`` and each row of ``v`` (robust near 0)."""
    return _angles(np.broadcast_to(p, v.shape), v)


# ---- queries ----------------------------------------------------------------------------------------
@dataclass
class Cap:
    """Every point within ``radius_km`` of (``lon``, ``lat``) on a sphere of ``body_radius_km``."""

    lon: float
    lat: float
    radius_km: float
    body_radius_km: float = geo.MOON_RADIUS_KM

    @property
    def angle(self) -> float:
        return self.radius_km / self.body_radius_km

    def box(self) -> tuple[float, float, float, float]:
        """(lon_min, lat_min, lon_max, lat_max) holding the cap."""
        d = math.degrees(self.angle)
        south, north = self.lat - d, self.lat + d
        if north >= 90.0 or south <= -90.0 or d >= 90.0:
            return 0.0, max(south, -90.0), 360.0, min(north, 90.0)
        half = math.degrees(math.asin(min(1.0, math.sin(self.angle) / math.cos(math.radians(self.lat)))))
        return self.lon - half, south, self.lon + half, north


@dataclass
class Region:
    """A query polygon: parts cut at 0°/360°, and at most :data:`QUERY_PART_WIDTH` wide unless they are
    caps round a pole within :data:`WHOLE_PART_RADIUS`."""

    parts: Parts

    def boxes(self) -> list[tuple[float, float, float, float]]:
        """Per part, the lon/lat box its candidates must meet (a part with a vertex on a pole keeps the
        longitudes of its other vertices: see ``_boxes``)."""
        lon_lo, lon_hi, lat_lo, lat_hi = self.parts.box
        return [(float(a), float(c), float(b), float(d)) for a, b, c, d in zip(lon_lo, lon_hi, lat_lo, lat_hi)]


def parse_query(value: Any) -> Cap | Region:
    """A ``geometry=`` search value: ``(lon, lat, radius_km)``, a shapely geometry, GeoJSON or WKT."""
    if isinstance(value, (tuple, list)) and len(value) == 3 and all(isinstance(v, (int, float)) for v in value):
        lon, lat, radius = (float(v) for v in value)
        if not (math.isfinite(lon) and -90.0 <= lat <= 90.0 and math.isfinite(radius) and radius >= 0):
            raise GeometryError(f"geometry (lon, lat, radius_km) needs latitude in [-90, 90] and a radius "
                                f">= 0, not {value!r}")
        return Cap(lon, lat, radius)
    geometry = geo.as_geojson(value)
    if geometry is None:
        raise GeometryError("empty search geometry")
    if geometry["type"] == "Point":
        return Cap(*geometry["coordinates"], 0.0)
    pieces: list = []
    for kind, ring in geo.iter_rings(geometry):
        lons = [float(p[0]) for p in ring]
        lats = [float(p[1]) for p in ring]
        if any(not -90.0 <= la <= 90.0 for la in lats):
            raise GeometryError(f"search geometry latitudes outside [-90, 90]: {geo.to_wkt(geometry)[:80]}")
        if kind == "polygon":
            # parallels get vertices on the cut meridians first, so that cutting computes no crossing on
            # them, then every degree
            lons, lats = _densify_parallels(lons, lats, QUERY_PART_WIDTH / 2, QUERY_PART_WIDTH)
            for whole in geo.ring_parts(lons, lats, 360.0):
                # a part within QUERY_PART_WIDTH of longitude, or round a pole and well within a hemisphere
                # (a polar cap: its box has every longitude however cut), is tested whole; any other is
                # cut at every QUERY_PART_WIDTH of longitude
                parts = [whole]
                x = [v[0] for v in whole]
                y = [v[1] for v in whole]
                if max(x) - min(x) > QUERY_PART_WIDTH and not (
                        max(abs(v) for v in y) >= 90.0
                        and bounding_caps(_ring_parts(*_densify_parallels(x, y, geo.PARALLEL_STEP)))[1][0]
                        < WHOLE_PART_RADIUS):
                    parts = geo.split_part(x, y, QUERY_PART_WIDTH)
                for part in parts:
                    x, y = _densify_parallels([v[0] for v in part], [v[1] for v in part], geo.PARALLEL_STEP)
                    _add_geometry(pieces, 0, {"type": "Polygon",
                                              "coordinates": [list(zip(x, y)) + [(x[0], y[0])]]})
        else:
            _add_geometry(pieces, 0, {"type": "LineString" if kind == "line" else "Point",
                                      "coordinates": ring if kind == "line" else ring[0]})
    if not pieces:
        raise GeometryError(f"search geometry has no area or vertices: {geo.to_wkt(geometry)}")
    return Region(_assemble(pieces))


#: A query part round a pole whose vertices lie within this angle of their mean direction is tested whole.
WHOLE_PART_RADIUS = math.radians(60.0)


def _ring_parts(lons: list[float], lats: list[float]) -> Parts:
    """One polygon part of these vertices."""
    pieces: list = []
    _add_geometry(pieces, 0, {"type": "Polygon", "coordinates": [list(zip(lons, lats)) + [(lons[0], lats[0])]]})
    return _assemble(pieces)


def _densify_parallels(lons: list[float], lats: list[float], step: float, cut: float | None = None
                       ) -> tuple[list[float], list[float]]:
    """A ring edge along a parallel (same latitude, as a lon/lat box writes it) gets vertices at most
    ``step`` degrees apart (and on every multiple of ``cut``), so that it means that parallel on the
    sphere (:data:`~archive_fed.geometry.PARALLEL_STEP` apart: within metres of it)."""
    out_lon, out_lat = [], []
    n = len(lons)
    for i in range(n):
        lo1, la1, lo2, la2 = lons[i], lats[i], lons[(i + 1) % n], lats[(i + 1) % n]
        out_lon.append(lo1)
        out_lat.append(la1)
        width = lo2 - lo1
        if la1 != la2 or abs(la1) >= 90.0 or abs(width) <= step:
            continue
        marks = {lo1 + width * k / math.ceil(abs(width) / step) for k in range(1, math.ceil(abs(width) / step))}
        if cut:
            marks |= {c * cut for c in range(math.floor(min(lo1, lo2) / cut) + 1, math.ceil(max(lo1, lo2) / cut))}
        for lon in sorted(marks, reverse=width < 0):
            out_lon.append(lon)
            out_lat.append(la1)
    return out_lon, out_lat


def part_hits(parts: Parts, candidates: np.ndarray, q: Parts, j: int) -> np.ndarray:
    """Which of the ``candidates`` parts meet query part ``j`` of ``q`` (bool per candidate).

    Cheapest first: a shared pole; a candidate's representative vertex inside the query part (most
    hits of a large query, decided without their edges); bounding caps apart (most misses); only the
    candidates left get their edges built, for the query's vertex inside them and edge crossings.
    """
    hit = np.zeros(candidates.size, dtype=bool)
    if candidates.size == 0:
        return hit
    j_ = np.array([j])
    if q.pole[j]:  # both reach the same pole: that point is common to both
        hit |= parts.pole[candidates] == q.pole[j]
    qe = arcs(q, j_)
    # a candidate's representative vertex inside the query part
    todo = np.flatnonzero(~hit)
    if todo.size and q.kind[j] == POLYGON and len(qe):
        hit[todo[inside_part(representatives(parts)[candidates[todo]], q, j)]] = True
    # bounding caps apart: the candidate cannot meet the query part
    rest = np.flatnonzero(~hit)
    centre, radius = bounding_caps(parts)
    q_centre, q_radius = (a[j] for a in bounding_caps(q))
    if rest.size:
        reach = radius[candidates[rest]] + q_radius
        rest = rest[(reach >= math.pi) | (_angle(q_centre, centre[candidates[rest]]) <= reach)]
    if rest.size == 0:
        return hit
    # edges of the undecided candidates near the query part (chords of their far runs), owned by their
    # position in candidates
    p = representative(q, j_)[0]
    qa, qb, _ = edge_index(q, j_)
    q_windows = np.stack([*_lon_ranges(q, qa, qb), *_lat_ranges(qe)], axis=1)
    e, ia, ib, chord = nearby_arcs(parts, candidates[rest], q_centre, q_radius, p, q_windows, qe)
    e.owner = rest[e.owner]
    # the query part's representative vertex inside a candidate polygon: one point against their edges
    polygons = rest[parts.kind[candidates[rest]] == POLYGON]
    if polygons.size:
        polygons = polygons[_angle(p, centre[candidates[polygons]]) <= radius[candidates[polygons]]]
    if polygons.size:
        is_polygon = np.zeros(candidates.size, dtype=bool)
        is_polygon[polygons] = True
        sel = e.take(np.flatnonzero(is_polygon[e.owner]))
        total = np.zeros(candidates.size)
        np.add.at(total, sel.owner, winding_at(p, sel))
        inside = polygons[np.abs(total[polygons]) > math.pi]
        hit[inside[centres(parts, candidates[inside]) @ p > 0]] = True
    # edges crossing: each query edge against the candidate edges within its latitudes and longitudes
    live = np.flatnonzero(~hit[e.owner] & ~chord)
    if live.size and len(qe):
        crossed = np.zeros(live.size, dtype=bool)
        if len(qe) <= FEW_EDGES:  # a scene: the pairs whose candidate edge has ends on both sides of the
            e = e.take(live)      # query edge's great circle (what windows of long edges keep is far more)
            pairs = _straddling_pairs(e, qe)
        else:                     # a densified query: its many short edges by their windows
            lon_lo, lon_hi = _lon_ranges(parts, ia[live], ib[live])
            e = e.take(live)
            pairs = window_pairs(np.stack([lon_lo, lon_hi, *_lat_ranges(e)], axis=1), q_windows)
        for ei, qi in pairs:
            crossed[ei[crossing_pairs(e, ei, qe, qi)]] = True
        hit[e.owner[crossed]] = True
    return hit


#: Query parts with at most this many edges test every candidate edge against each (:func:`_straddling_pairs`).
FEW_EDGES = 16
#: Orientations clearly of one sign, rounding apart (the exact test recomputes every pair kept).
_CLEAR = 4 * COPLANAR


def _straddling_pairs(e: Arcs, qe: Arcs) -> Any:
    """Pairs (``ei``, ``qi``) of an arc of ``e`` whose ends are not clearly on one side of the great
    circle of arc ``qi`` of ``qe``, in blocks: the only pairs that may cross (:func:`crossing_pairs`)."""
    step = max(1, BLOCK // len(qe))
    for b in range(0, len(e), step):
        side_a = e.a[b:b + step] @ qe.n.T
        side_b = e.b[b:b + step] @ qe.n.T
        apart = ((side_a > _CLEAR) & (side_b > _CLEAR)) | ((side_a < -_CLEAR) & (side_b < -_CLEAR))
        ei, qi = np.nonzero(~apart)
        if ei.size:
            yield ei + b, qi


def cap_hits(parts: Parts, candidates: np.ndarray, cap: Cap) -> np.ndarray:
    """Which of the ``candidates`` parts come within the cap (bool per candidate).

    Bounding caps decide most candidates: wholly within the radius, or wholly beyond it; the rest get
    the exact tests (a vertex, an edge or the centre inside a polygon)."""
    hit = np.zeros(candidates.size, dtype=bool)
    if candidates.size == 0:
        return hit
    c = to_xyz(np.float64(cap.lon), np.float64(cap.lat))
    centre, radius = bounding_caps(parts)
    r = radius[candidates]
    d = _angle(c, centre[candidates])
    bounded = r < math.pi
    hit |= bounded & (d + r <= cap.angle - CAP_MARGIN)
    undecided = np.flatnonzero(~hit & ~(bounded & (d - r > cap.angle + CAP_MARGIN)))
    # a cap holding a pole meets every part with that pole as a vertex
    for pole in (1, -1):
        if math.radians(90.0 - pole * cap.lat) <= cap.angle:
            hit[undecided[parts.pole[candidates[undecided]] == pole]] = True
    undecided = undecided[~hit[undecided]]
    # a part's representative vertex within the radius (most of the parts larger than the cap's reach)
    near = _angle(c, representatives(parts)[candidates[undecided]]) <= cap.angle
    hit[undecided[near]] = True
    undecided = undecided[~near]
    if undecided.size:
        lon_min, lat_min, lon_max, lat_max = cap.box()
        hit[undecided] = _cap_hits_exact(parts, candidates[undecided], c, cap.angle,
                                         (lon_min, lon_max, lat_min, lat_max))
    return hit


def _cap_hits_exact(parts: Parts, candidates: np.ndarray, c: np.ndarray, angle: float,
                    box: tuple[float, float, float, float]) -> np.ndarray:
    hit = np.zeros(candidates.size, dtype=bool)
    r = runs(parts)
    per = r.first[candidates + 1] - r.first[candidates]
    # vertices of the short parts (covers points), the first vertex of each run of the long ones
    short = np.flatnonzero(per == 0)
    counts = parts.counts[candidates[short]]
    vertex_owner = short[np.repeat(np.arange(short.size), counts)]
    first = np.cumsum(counts) - counts
    vi = parts.start[candidates][vertex_owner] + (np.arange(int(counts.sum())) - np.repeat(first, counts))
    run_owner, rid = _runs_of(r, candidates, np.flatnonzero(per))
    vi = np.concatenate([vi, parts.start[candidates[run_owner]] + r.lo[rid]])
    vertex_owner = np.concatenate([vertex_owner, run_owner])
    hit[vertex_owner[_angle(c, _vertices(parts, vi)) <= angle]] = True
    # the edges within reach of the cap, and the chords of the other runs of long parts
    todo = np.flatnonzero(~hit)
    e, _, _, chord = nearby_arcs(parts, candidates[todo], c, angle, c, box_windows(box))
    e.owner = todo[e.owner]
    if len(e):
        # the centre inside a polygon
        rest = e.take(np.flatnonzero(parts.kind[candidates][e.owner] == POLYGON))
        if len(rest):
            total = np.zeros(candidates.size)
            np.add.at(total, rest.owner, winding_at(c, rest))
            hit |= (np.abs(total) > math.pi) & (centres(parts, candidates) @ c > 0)
        rest = e.take(np.flatnonzero(~hit[e.owner] & ~chord))
        if len(rest):  # an edge passing within the radius
            hit[rest.owner[arc_distance(c, rest) <= angle]] = True
    return hit


def union_box(boxes: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    """One (lon_min, lat_min, lon_max, lat_max) box holding every box of ``boxes`` (each with
    lon_min <= lon_max in [0, 360]): their latitudes, and the shortest longitude arc over theirs (the
    circle less its widest gap; ``lon_min > lon_max`` when it crosses 0°)."""
    lat_min = min(b[1] for b in boxes)
    lat_max = max(b[3] for b in boxes)
    arcs_ = sorted((b[0], b[2]) for b in boxes)
    merged = [list(arcs_[0])]
    for lo, hi in arcs_[1:]:
        if lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    gaps = [(merged[k + 1][0] - merged[k][1], k) for k in range(len(merged) - 1)]
    gaps.append((merged[0][0] + 360.0 - merged[-1][1], len(merged) - 1))
    width, k = max(gaps)
    if width <= 0.0:
        return 0.0, lat_min, 360.0, lat_max
    if k == len(merged) - 1:          # the widest gap is across 0°/360°: the arc does not cross it
        return merged[0][0], lat_min, merged[-1][1], lat_max
    return merged[k + 1][0], lat_min, merged[k][1], lat_max


def matching_rows(parts: Parts, query: Cap | Region, rows: np.ndarray | None, size: int,
                  box_masks: Any) -> np.ndarray:
    """Sorted product rows (among ``rows``, or all) whose footprint meets ``query``.

    ``box_masks(boxes, within=None)`` gives, per query box, whether each part's box (of the parts
    ``within`` only, when given) meets it: a ``(len(boxes), parts)`` bool array.
    """
    wanted = np.ones(size, dtype=bool)
    if rows is not None:
        wanted[:] = False
        wanted[rows] = True
    if isinstance(query, Cap):
        candidates = np.flatnonzero(box_masks([query.box()])[0] & wanted[parts.row])
        return np.unique(parts.row[candidates[cap_hits(parts, candidates, query)]])
    boxes = query.boxes()
    # one pass over every part for the union of the query boxes, then each query part against those
    # of the candidates in its own box
    pool = np.flatnonzero(box_masks([union_box(boxes)])[0] & wanted[parts.row])
    own = box_masks(boxes, pool) if len(boxes) > 1 else np.ones((1, pool.size), dtype=bool)
    for j in range(len(boxes)):
        candidates = pool[own[j]]
        candidates = candidates[wanted[parts.row[candidates]]]
        found = parts.row[candidates[part_hits(parts, candidates, query.parts, j)]]
        wanted[found] = False  # found: not tested again
    rows_found = np.ones(size, dtype=bool) if rows is None else np.zeros(size, dtype=bool)
    if rows is not None:
        rows_found[rows] = True
    return np.flatnonzero(rows_found & ~wanted)
