"""The coverage of a catalog's footprints as an IVOA MOC (Multi-Order Coverage map), with mocpy.

A MOC is a set of HEALPix cells of the unit sphere, down to cells of order ``max_depth`` (12·4^depth
cells cover the sphere; at depth 10 a cell is about 3.4′ of arc, 1.7 km on the Moon). mocpy only knows
*sky* MOCs, in the ICRS frame: here that frame is only a container — its longitude is the east longitude
on the Moon and its latitude the planetocentric latitude, so ``moc.sky_fraction`` is the fraction of the
lunar sphere covered, and unions, intersections and differences of two catalogs' MOCs compare where they
observed. Do not combine these MOCs with real sky MOCs.

What each product contributes (:func:`footprint_coverage`):

- a footprint polygon (:mod:`archive_fed.geometry`: great-circle edges, parts cut at 0°/360°, polar caps
  closed through the pole): the cells that meet each part (``MOC.from_polygons``, which also reads
  great-circle edges). A part wider than :data:`CUT_WIDTH` degrees of longitude, or one closed through a
  pole and wider than that, is first cut into strips (:func:`archive_fed.geometry.split_part`), because
  mocpy takes the smaller of the two regions a ring bounds, and a wide cap can be larger than a
  hemisphere;
- a product with a lon/lat box but no footprint: the box's polygon
  (:func:`archive_fed.geometry.polygon_from_bounds`, as :meth:`Catalog.search` reads it); a polar cap
  box (every longitude, up to a pole) is the exact cone round that pole instead, as is a footprint that
  is just such a box's polygon;
- a point (lander, rover): the one cell of depth ``max_depth`` that holds it (``MOC.from_lonlat``);
- a line (a box of zero width or height): the cells holding points along its great-circle edges, a
  quarter of a cell apart;
- a product with none of these is skipped and counted (:class:`CoverageWarning`).

Polygons are handed to mocpy in bulk, one call per vertex count, and the per-polygon MOCs are united in one
multi-way union per call.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import geometry as geo
from ..errors import ArchiveFedError, DependencyError
from . import sphere

if TYPE_CHECKING:  # pragma: no cover
    from mocpy import MOC

    from .core import Catalog

#: Depth of the smallest cells when none is asked for (about 1.7 km on the Moon).
DEFAULT_DEPTH = 10
#: Polygon parts wider than this (degrees of longitude) are cut into strips before mocpy reads them.
CUT_WIDTH = 90.0
#: Polygons handed to one ``MOC.from_polygons`` call (bounds the memory of the per-polygon MOCs).
POLYGON_BATCH = 20_000
#: Longest polygon edge handed to mocpy (degrees of arc); longer ones get vertices along their great circle.
LONGEST_EDGE = 20.0
#: Points along lines per cell width.
LINE_SAMPLES_PER_CELL = 4


class CoverageWarning(UserWarning):
    """Some products have no footprint, box or point, and are not in the coverage.

    ``skipped`` is how many, ``products`` how many the catalog has.
    """

    def __init__(self, message: str, skipped: int = 0, products: int = 0) -> None:
        super().__init__(message)
        self.skipped = skipped
        self.products = products


@dataclass(frozen=True)
class Coverage:
    """A catalog's coverage and what went into it."""

    moc: "MOC"
    products: int   # products in the catalog
    skipped: int    # products without footprint, box or point
    polygons: int   # polygon parts handed to mocpy (after cutting)
    points: int
    lines: int


def load_mocpy() -> Any:
    """The ``mocpy`` module, or :class:`~archive_fed.errors.DependencyError` naming the extra to install."""
    try:
        import mocpy
    except ImportError as exc:
        raise DependencyError("coverage maps need mocpy: pip install 'archive_fed[geometry]'",
                              package="mocpy") from exc
    return mocpy


def _check_depth(max_depth: Any) -> int:
    if isinstance(max_depth, bool) or not isinstance(max_depth, (int, np.integer)) or not 0 <= max_depth <= 29:
        raise ArchiveFedError(f"max_depth must be an integer from 0 to 29 (HEALPix order), not {max_depth!r}")
    return int(max_depth)


def catalog_coverage(catalog: "Catalog", max_depth: int = DEFAULT_DEPTH) -> "MOC":
    """The MOC of every footprint of ``catalog`` (see the module notes); warns :class:`CoverageWarning`
    with the number of products skipped for want of any geometry."""
    result = footprint_coverage(catalog._column("footprint"), catalog._column("lon_min"),
                                catalog._column("lon_max"), catalog._column("lat_min"),
                                catalog._column("lat_max"), max_depth)
    if result.skipped:
        warnings.warn(CoverageWarning(
            f"{result.skipped:,} of {result.products:,} products have no footprint, box or point and are "
            f"not in the coverage", result.skipped, result.products), stacklevel=3)
    return result.moc


def footprint_coverage(footprint: np.ndarray, lon_min: np.ndarray, lon_max: np.ndarray,
                       lat_min: np.ndarray, lat_max: np.ndarray, max_depth: int = DEFAULT_DEPTH) -> Coverage:
    """The coverage of products given as record columns (``footprint`` hex WKB, "" or None for none)."""
    mocpy = load_mocpy()
    depth = _check_depth(max_depth)
    text = np.array(["" if t is None or t != t else str(t) for t in np.asarray(footprint, dtype=object).tolist()],
                    dtype=object)
    boxes = [np.asarray(v, dtype=np.float64).copy() for v in (lon_min, lon_max, lat_min, lat_max)]
    n = len(text)
    caps, south, north = _polar_caps(text, *boxes)
    text[caps] = ""
    for values in boxes:
        values[caps] = np.nan
    parts = sphere.parts_from_columns(text, *boxes)
    covered = caps.copy()
    covered[parts.row] = True
    pieces: list[MOC] = _cap_mocs(mocpy.MOC, south, north, depth)
    polygons = _polygon_rings(parts)
    pieces += _polygon_mocs(mocpy.MOC, polygons, depth)
    point_rows = np.flatnonzero(parts.kind == sphere.POINT)
    line_rows = np.flatnonzero(parts.kind == sphere.LINE)
    lon, lat = _point_cloud(parts, point_rows, line_rows, depth)
    if lon.size:
        pieces.append(mocpy.MOC.from_lonlat(_longitude(lon), _latitude(lat), max_norder=depth))
    moc = _union(mocpy.MOC, pieces, depth)
    return Coverage(moc, n, int(n - covered.sum()), len(polygons), int(point_rows.size), int(line_rows.size))


def _polar_caps(text: np.ndarray, lon_min: np.ndarray, lon_max: np.ndarray, lat_min: np.ndarray,
                lat_max: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Products whose footprint is a polar cap box (0–360, up to a pole; no footprint polygon, or exactly
    the box's), and the radius in degrees of the widest cap round each pole (south, north; 0 for none).

    Caps round one pole are nested, so their union is the widest: one exact cone per pole instead of a
    polygon of hundreds of vertices per product (mocpy's time grows with the vertices).
    """
    with np.errstate(invalid="ignore"):
        south_edge, north_edge = np.minimum(lat_min, lat_max), np.maximum(lat_min, lat_max)
        full = (lon_max - lon_min >= 360.0 - 1e-9) & ((south_edge <= -90.0) | (north_edge >= 90.0))
    rows = np.flatnonzero(full)
    for row in rows[text[rows] != ""].tolist():  # a stored polygon: a cap only if it is the box's
        box = geo.polygon_from_bounds(lon_min[row], lon_max[row], lat_min[row], lat_max[row])
        full[row] = geo.encode(box) == text[row]
    at_south = full & (south_edge <= -90.0)
    at_north = full & (north_edge >= 90.0)
    south = float(np.max(north_edge[at_south] + 90.0, initial=0.0))
    north = float(np.max(90.0 - south_edge[at_north], initial=0.0))
    return full, south, north


def _cap_mocs(MOC: Any, south: float, north: float, depth: int) -> list:
    import astropy.units as u

    out = []
    for pole, radius in ((-90.0, south), (90.0, north)):
        if radius >= 180.0:
            return [MOC.from_depth29_ranges(depth, np.array([[0, 12 * 4 ** 29]], dtype=np.uint64))]
        if radius > 0.0:
            out.append(MOC.from_cone(lon=0.0 * u.deg, lat=pole * u.deg, radius=radius * u.deg, max_depth=depth))
    return out


def _longitude(lon: np.ndarray) -> Any:
    from astropy.coordinates import Longitude
    return Longitude(np.mod(lon, 360.0), unit="deg")


def _latitude(lat: np.ndarray) -> Any:
    from astropy.coordinates import Latitude
    return Latitude(np.clip(lat, -90.0, 90.0), unit="deg")


def _union(MOC: Any, pieces: list, depth: int) -> "MOC":
    if not pieces:
        return MOC.new_empty(depth)
    if len(pieces) == 1:
        return pieces[0]
    return pieces[0].union(*pieces[1:])


# ---- polygons ----------------------------------------------------------------------------------------
def _polygon_rings(parts: sphere.Parts) -> list[np.ndarray]:
    """Every polygon part as a (k, 2) array of lon/lat vertices as mocpy reads them right: wide parts cut
    into strips, a run of vertices on a pole made one vertex, long edges given vertices along their great
    circle (see :func:`_for_mocpy`)."""
    which = np.flatnonzero(parts.kind == sphere.POLYGON)
    if not which.size:
        return []
    cut, fix = _needs_work(parts, which)
    plain = which[~cut & ~fix]
    coords = np.stack([parts.lon, parts.lat], axis=1)
    rings = [coords[parts.start[p]:parts.start[p + 1]] for p in plain.tolist()]
    for p, wide in zip(which[cut | fix].tolist(), cut[cut | fix].tolist()):
        lo, hi = parts.start[p], parts.start[p + 1]
        strips = (geo.split_part(parts.lon[lo:hi], parts.lat[lo:hi], CUT_WIDTH) if wide
                  else [coords[lo:hi]])
        rings += [ring for ring in (_for_mocpy(np.asarray(s, dtype=np.float64)) for s in strips) if len(ring) >= 3]
    return rings


def _needs_work(parts: sphere.Parts, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per polygon part of ``which``: (to cut) wider than :data:`CUT_WIDTH` or winding round a pole;
    (to fix) a vertex on a pole or an edge longer than :data:`LONGEST_EDGE`.

    A part with a vertex on a pole is measured as written (its ring goes along the pole); any other
    along its edges, each the shorter way round, so a ring written across 0° in [-180, 180] and read
    back in [0, 360] is still narrow.
    """
    start, stop = parts.start[which], parts.start[which + 1]
    counts = stop - start
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])  # of each part, in the flat arrays below
    index = np.arange(int(counts.sum())) - np.repeat(first, counts) + np.repeat(start, counts)
    following = index + 1
    following[first + counts - 1] = start  # the closing edge
    lon, lat = parts.lon[index], parts.lat[index]
    turn = (parts.lon[following] - lon + 180.0) % 360.0 - 180.0
    total = np.cumsum(turn)
    unrolled = total - np.repeat(total[first] - turn[first], counts)  # edge ends, from the first vertex
    span = (np.maximum(np.maximum.reduceat(unrolled, first), 0.0)
            - np.minimum(np.minimum.reduceat(unrolled, first), 0.0))
    winding = np.add.reduceat(turn, first)
    polar = np.maximum.reduceat(np.abs(lat), first) >= 90.0
    written = np.maximum.reduceat(lon, first) - np.minimum.reduceat(lon, first)
    cut = np.where(polar, written > CUT_WIDTH + 1e-9, (span > CUT_WIDTH + 1e-9) | (np.abs(winding) > 180.0))
    xyz = parts.xyz
    cosine = np.einsum("ij,ij->i", xyz[index], xyz[following])  # type: ignore[index]
    long_edge = np.minimum.reduceat(cosine, first) < math.cos(math.radians(LONGEST_EDGE))
    return cut, polar | long_edge


def _for_mocpy(ring: np.ndarray) -> np.ndarray:
    """A ring mocpy reads as the same region.

    Two things mislead mocpy 0.21 (both checked in tests/catalog/test_coverage.py): an edge longer than
    about 60° of arc adds cells along its great circle beyond the arc's ends, and a pole vertex whose
    longitude is not between those of its neighbours (two vertices on the same pole, as a ring closed along
    it has, or one on the meridian of the edge that reaches it) adds a column of cells outside that edge.
    So a run of pole vertices becomes one vertex, at the longitude halfway between its neighbours', and
    every edge longer than :data:`LONGEST_EDGE` gets vertices along its own great circle.
    """
    polar = np.abs(ring[:, 1]) >= 90.0
    keep = ~(polar & np.roll(polar, 1) & (ring[:, 1] == np.roll(ring[:, 1], 1)))
    if keep.all() and polar.all():
        return ring[:0]
    ring = ring[keep] if not keep.all() else ring.copy()
    for i in np.flatnonzero(np.abs(ring[:, 1]) >= 90.0).tolist():
        before, after = ring[i - 1, 0], ring[(i + 1) % len(ring), 0]
        ring[i, 0] = (before + ((after - before + 180.0) % 360.0 - 180.0) / 2.0) % 360.0
    v = sphere.to_xyz(ring[:, 0], ring[:, 1])
    out = []
    for a, b, point in zip(v, np.roll(v, -1, axis=0), ring):
        out.append(point[None, :])
        angle = math.atan2(float(np.linalg.norm(np.cross(a, b))), float(np.dot(a, b)))
        steps = math.ceil(math.degrees(angle) / LONGEST_EDGE)
        if steps > 1:
            out.append(_lonlat(_slerp(a, b, np.arange(1, steps) / steps)))
    return np.concatenate(out)


def _slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Unit vectors at fractions ``t`` of the great-circle arc from ``a`` to ``b``."""
    omega = math.atan2(float(np.linalg.norm(np.cross(a, b))), float(np.dot(a, b)))
    if omega < 1e-12:
        return np.repeat(a[None, :], t.size, axis=0)
    return (np.sin((1 - t) * omega)[:, None] * a + np.sin(t * omega)[:, None] * b) / math.sin(omega)


def _lonlat(v: np.ndarray) -> np.ndarray:
    return np.stack([np.mod(np.degrees(np.arctan2(v[:, 1], v[:, 0])), 360.0),
                     np.degrees(np.arcsin(np.clip(v[:, 2], -1.0, 1.0)))], axis=1)


def _polygon_mocs(MOC: Any, rings: list[np.ndarray], depth: int) -> list:
    """One MOC per batch of polygons of one vertex count (mocpy's bulk form wants equal lengths)."""
    by_size: dict[int, list[np.ndarray]] = {}
    for ring in rings:
        by_size.setdefault(len(ring), []).append(ring)
    out = []
    for size, group in sorted(by_size.items()):
        if size < 3:
            continue
        for begin in range(0, len(group), POLYGON_BATCH):
            batch = np.stack(group[begin:begin + POLYGON_BATCH])  # (P, k, 2)
            flat = np.empty((2 * batch.shape[0], size), dtype=np.float64)
            flat[0::2] = np.mod(batch[:, :, 0], 360.0)  # mocpy wants [0, 360)
            flat[1::2] = batch[:, :, 1]
            out.append(_union(MOC, MOC.from_polygons(flat, max_depth=depth), depth))
    return out


# ---- points and lines --------------------------------------------------------------------------------
def _point_cloud(parts: sphere.Parts, point_rows: np.ndarray, line_rows: np.ndarray, depth: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat of every point part, and of points along every line part a fraction of a cell apart."""
    pieces = [np.stack([parts.lon[parts.start[point_rows]], parts.lat[parts.start[point_rows]]], axis=1)]
    cell = math.sqrt(4.0 * math.pi / (12 * 4 ** depth))  # radians
    for p in line_rows.tolist():
        xyz = parts.xyz[parts.start[p]:parts.start[p + 1]]  # type: ignore[index]
        for a, b in zip(xyz[:-1], xyz[1:]):
            angle = math.atan2(float(np.linalg.norm(np.cross(a, b))), float(np.dot(a, b)))
            t = np.linspace(0.0, 1.0, max(2, math.ceil(angle / cell * LINE_SAMPLES_PER_CELL) + 1))
            pieces.append(_lonlat(_slerp(a, b, t)))
    points = np.concatenate(pieces)
    return points[:, 0], points[:, 1]
