"""Synthetic but realistic product records, for benchmarks, tests and demos of the catalog.

Products come in runs of one data set, as a harvest produces them: consecutive observation times,
identifiers and URLs that share long prefixes. Footprints include boxes crossing 0°/360°, polar boxes
spanning 0–360, lander points (min = max) and missing ones; some times and sizes are missing too.

>>> recs = synthetic_records(3, seed=1)
>>> len(recs), recs[0].uid is not None
(3, True)
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np

from .. import geometry as geo
from ..labels.footprint import from_corners as corners_box
from ..record import FIELDS, ProductRecord
from ..catalog.encoding import Codes, null_columns

#: (mission, agency, host, archive, format, instruments, first year, level pairs)
MISSIONS = (
    ("lro", "NASA", "LUNAR RECONNAISSANCE ORBITER", "nasa-pds", "PDS3",
     ("LROC", "DLRE", "LOLA", "MINI-RF", "LAMP", "LEND", "CRATER"), 2009,
     (("Raw", "EDR"), ("Calibrated", "CDR"), ("Derived", "RDR"))),
    ("kaguya", "JAXA", "SELENE MAIN ORBITER", "jaxa-darts", "PDS3",
     ("TC1", "TC2", "MI-VIS", "MI-NIR", "SP", "LALT", "GRS"), 2007,
     (("Calibrated", "L2B0"), ("Derived", "L3C"), ("Raw", "L2A"))),
    ("change-4", "CNSA", "CHANG'E-4 ROVER", "cnsa-clpds", "PDS4",
     ("LPR", "PCAM", "VNIS", "LND"), 2019, (("Calibrated", "2B"), ("Partially Processed", "01"))),
    ("change-3", "CNSA", "CHANG'E-3 ROVER", "cnsa-clpds", "PDS4",
     ("LPR", "PCAM", "APXS", "VNIS"), 2013, (("Calibrated", "2B"), ("Raw", "0B"))),
    ("change-1", "CNSA", "CHANG'E-1", "cnsa-clpds", "PDS4", ("CCD", "IIM", "LAM"), 2007,
     (("Calibrated", "2C"),)),
    ("chandrayaan-1", "ISRO", "CHANDRAYAAN-1", "isro-pradan", "PDS3", ("M3", "MINI-SAR"), 2008,
     (("Raw", "L0"), ("Calibrated", "L1B"), ("Derived", "L2"))),
    ("chandrayaan-2", "ISRO", "CHANDRAYAAN-2 ORBITER", "isro-pradan", "PDS4",
     ("OHRC", "TMC2", "IIRS", "DFSAR", "CLASS"), 2019, (("Calibrated", "L1"), ("Raw", "L0"))),
    ("clementine", "NASA", "CLEMENTINE 1", "nasa-pds", "PDS3", ("UVVIS", "NIR", "HIRES", "LWIR"),
     1994, (("Calibrated", "3"), ("Raw", "2"))),
    ("kplo", "KARI", "KPLO", "kari-kpds", "PDS4", ("LUTI", "POLCAM", "KGRS", "KMAG"), 2023,
     (("Calibrated", "L1"), ("Derived", "L2"))),
    ("smart-1", "ESA", "SMART-1", "esa-psa", "PDS3", ("AMIE", "SIR", "D-CIXS"), 2004, (("Raw", "2"),)),
)
WEIGHTS = np.array([40, 25, 6, 4, 3, 6, 5, 7, 2, 2], dtype=float)
RUN = 400  # products per run of one data set
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def _footprints(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 4) lon_min, lon_max, lat_min, lat_max; NaN rows have no footprint."""
    lon = rng.uniform(0, 360, n).round(4)
    lat = rng.uniform(-88, 88, n).round(4)
    width = rng.exponential(2.0, n).round(4)
    height = rng.exponential(1.5, n).round(4)
    lon_max = np.mod(lon + width, 360).round(4)  # wraps past 360 → a box crossing the meridian
    lat_min = np.clip(lat - height / 2, -90, 90).round(4)
    lat_max = np.clip(lat + height / 2, -90, 90).round(4)
    out = np.stack([lon, lon_max, lat_min, lat_max], axis=1)
    kind = rng.random(n)
    polar = kind < 0.02
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    edge = (sign * rng.uniform(60, 85, n)).round(4)
    out[polar] = np.stack([np.zeros(n), np.full(n, 360.0), np.minimum(edge, sign * 90),
                           np.maximum(edge, sign * 90)], axis=1)[polar]
    point = (kind >= 0.02) & (kind < 0.07)
    out[point, 1] = out[point, 0]
    out[point, 3] = out[point, 2]
    out[(kind >= 0.07) & (kind < 0.12)] = np.nan
    return out


def scene_corners(lon: float, lat: float, width: float, height: float, turn: float) -> list[tuple[float, float]]:
    """The four corners (east longitude, latitude; counter-clockwise) of a scene centred on (lon, lat),
    ``width`` by ``height`` degrees (half-sizes, along great circles), turned by ``turn`` degrees."""
    lo, la = np.radians(lon), np.radians(lat)
    centre = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    east = np.array([-np.sin(lo), np.cos(lo), 0.0])
    north = np.cross(centre, east)
    corners = []
    for base in (225.0, 315.0, 45.0, 135.0):
        a = np.radians(base + turn)
        d = np.cos(a) * np.radians(width) * east + np.sin(a) * np.radians(height) * north
        dist = np.linalg.norm(d)
        p = np.cos(dist) * centre + np.sin(dist) * d / dist
        corners.append((float(np.degrees(np.arctan2(p[1], p[0])) % 360), float(np.degrees(np.arcsin(p[2])))))
    return corners


#: Fraction of products whose footprint is a slanted scene (four corners) rather than a lon/lat box.
SWATH_FRACTION = 0.7


def _swaths(rng: np.random.Generator, fp: np.ndarray) -> np.ndarray:
    """Slanted four-corner scenes in place of most plain boxes of ``fp`` (which is updated to each scene's
    box); some sit on a pole and wind around it. Returns the ``footprint`` column (hex WKB, "" = none)."""
    n = len(fp)
    footprint = np.full(n, "", dtype=object)
    box = ~np.isnan(fp).any(axis=1) & (fp[:, 1] - fp[:, 0] < 359.0) & (fp[:, 2] != fp[:, 3])
    rows = np.flatnonzero(box & (rng.random(n) < SWATH_FRACTION))
    m = rows.size
    if not m:
        return footprint
    lon = fp[rows, 0]
    lat = (fp[rows, 2] + fp[rows, 3]) / 2
    polar = rng.random(m) < 0.03
    lat = np.where(polar, np.where(lat < 0, -1.0, 1.0) * rng.uniform(86.0, 89.9, m), lat)
    width = np.radians(np.where(polar, rng.uniform(2.0, 6.0, m), rng.exponential(1.0, m) + 0.05))
    height = np.radians(np.where(polar, rng.uniform(2.0, 6.0, m), rng.exponential(0.75, m) + 0.05))
    turn = np.radians(rng.uniform(-35.0, 35.0, m))
    lo, la = np.radians(lon), np.radians(lat)
    centre = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=1)
    east = np.stack([-np.sin(lo), np.cos(lo), np.zeros(m)], axis=1)
    north = np.cross(centre, east)
    corner_lon, corner_lat = np.empty((m, 4)), np.empty((m, 4))
    for k, base in enumerate(np.radians([225.0, 315.0, 45.0, 135.0])):  # counter-clockwise
        d = (np.cos(base + turn) * width)[:, None] * east + (np.sin(base + turn) * height)[:, None] * north
        dist = np.linalg.norm(d, axis=1)
        p = np.cos(dist)[:, None] * centre + (np.sin(dist) / dist)[:, None] * d
        corner_lon[:, k] = np.mod(np.degrees(np.arctan2(p[:, 1], p[:, 0])), 360.0).round(6) % 360.0
        corner_lat[:, k] = np.degrees(np.arcsin(np.clip(p[:, 2], -1, 1))).round(6)
    # plain scenes (no 0°/360° crossing, no pole): built whole; the others by geometry.polygon_from_corners
    span = corner_lon.max(axis=1) - corner_lon.min(axis=1)
    plain = span < 180.0
    area = sum(corner_lon[:, k] * corner_lat[:, (k + 1) % 4] - corner_lon[:, (k + 1) % 4] * corner_lat[:, k]
               for k in range(4))
    plain &= area > 0
    ring = np.concatenate([np.stack([corner_lon, corner_lat], axis=2), np.stack(
        [corner_lon[:, :1], corner_lat[:, :1]], axis=2)], axis=1)  # (m, 5, 2), closed
    header = bytes.fromhex("01030000000100000005000000")
    blob = np.frombuffer(header, dtype=np.uint8)
    body = np.ascontiguousarray(ring[plain]).astype("<f8").view(np.uint8).reshape(-1, 80)
    raw = np.concatenate([np.broadcast_to(blob, (body.shape[0], len(blob))), body], axis=1)
    text = raw.tobytes().hex()
    size = 2 * raw.shape[1]
    footprint[rows[plain]] = [text[i:i + size] for i in range(0, len(text), size)]
    fp[rows[plain]] = np.stack([corner_lon[plain].min(axis=1), corner_lon[plain].max(axis=1),
                                corner_lat[plain].min(axis=1), corner_lat[plain].max(axis=1)], axis=1)
    for j in np.flatnonzero(~plain).tolist():
        footprint[rows[j]] = geo.encode(geo.polygon_from_corners(corner_lon[j], corner_lat[j]))
        fp[rows[j]] = corners_box(corner_lon[j], corner_lat[j])
    return footprint


def synthetic_records(n: int, seed: int = 0, harvested: str = "2026-01-15T00:00:00") -> list[ProductRecord]:
    """``n`` product records drawn with ``seed`` (same arguments, same records)."""
    rng = np.random.default_rng(seed)
    runs = -(-n // RUN)
    run_mission = rng.choice(len(MISSIONS), size=runs, p=WEIGHTS / WEIGHTS.sum())
    run_instrument = rng.integers(0, 1 << 30, runs)
    run_level = rng.integers(0, 1 << 30, runs)
    run_start = rng.uniform(0, 4 * 365 * 86400, runs)
    step = rng.exponential(600.0, n).round(3)
    duration = rng.exponential(120.0, n).round(6)
    fp = _footprints(rng, n)
    footprint = _swaths(np.random.default_rng([seed, 17]), fp)
    sizes = rng.integers(10_000, 500_000_000, n)
    md5 = rng.integers(0, 1 << 63, (n, 2), dtype=np.int64)
    misc = rng.random((n, 4))
    base = _dt.datetime.fromisoformat(harvested).replace(tzinfo=_dt.timezone.utc)
    records = []
    clock = 0.0
    for i in range(n):
        r = i // RUN
        slug, agency, host, archive, fmt, instruments, year, levels = MISSIONS[run_mission[r]]
        instrument = instruments[run_instrument[r] % len(instruments)]
        level, native = levels[run_level[r] % len(levels)]
        clock = run_start[r] if i % RUN == 0 else clock + step[i]
        start = _dt.datetime(year, 1, 1, tzinfo=_dt.timezone.utc) + _dt.timedelta(seconds=float(clock))
        stop = start + _dt.timedelta(seconds=float(duration[i]))
        pid, uid, lid, vid, url, data = _identifiers(slug, fmt, instrument, native, r, i, start)
        u = misc[i]
        targets = ["Moon"] if u[0] < 0.9 else (["Moon", "Earth"] if u[0] < 0.95 else
                                               (["Sun"] if u[0] < 0.98 else []))
        records.append(ProductRecord(
            uid=uid, lid=lid, vid=vid, product_id=pid,
            title=f"{slug.upper()} {instrument} {native} product {pid}",
            mission=slug, agency=agency, instrument_host=host, instrument=instrument,
            targets=targets, target=("Moon" if "Moon" in targets else (targets[0] if targets else None)),
            processing_level=level, processing_level_native=native,
            start_time=None if u[1] < 0.02 else start, stop_time=None if u[1] < 0.05 else stop,
            lon_min=fp[i, 0], lon_max=fp[i, 1], lat_min=fp[i, 2], lat_max=fp[i, 3],
            footprint=footprint[i] or None, label_format=fmt, label_url=url, data_urls=data,
            file_size=None if u[2] < 0.03 else int(sizes[i]),
            md5=None if u[3] < 0.2 else f"{md5[i, 0]:016x}{md5[i, 1]:016x}",
            archive=archive, harvested_at=base + _dt.timedelta(seconds=i // 50),
        ))
    return records


def _identifiers(slug: str, fmt: str, instrument: str, native: str, run: int, i: int,
                 start: _dt.datetime) -> tuple[str, str, str, str, str, list[str]]:
    stamp = start.strftime("%Y%m%d%H%M%S")
    if slug.startswith("change"):
        ce = slug.replace("change-", "CE")
        pid = f"{ce}_GRAS_{instrument}-1_SCI_N_{stamp}_{i:07d}_A.{native}"
        vid = "1.0"
        lid = pid
        uid = f"{pid}::{vid}"
        url = f"https://clpds.example.org/{ce}/{instrument}/{native}/{start:%Y%m}/{pid}.2BL"
        return pid, uid, lid, vid, url, [url[:-4] + ".2B"]
    if fmt == "PDS4":
        pid = f"{instrument.lower()}_{stamp}_{i:07d}"
        vid = "1.0" if i % 7 else "1.10"
        lid = f"urn:{slug}:pds:{slug.replace('-', '_')}_{instrument.lower()}:data_{native.lower()}:{pid}"
        url = f"https://archive.example.org/{slug}/{instrument.lower()}/data/{start:%Y/%j}/{pid}.xml"
        return pid, f"{lid}::{vid}", lid, vid, url, [url[:-4] + ".dat"]
    dsid = f"{slug.upper()}-L-{instrument}-{native}-V1.0"
    pid = f"{instrument[:3]}{native}_{stamp}_{i:07d}"
    url = f"https://archive.example.org/{slug}/{dsid.lower()}/data/{start:%Y/%j}/{pid.lower()}.lbl"
    lid = f"{dsid}/{pid}"
    data = [url[:-4] + ".img"] + ([url[:-4] + ".tab"] if i % 5 == 0 else [])
    return pid, lid, lid, None, url, data


# --- columns without records: catalogs of tens of millions of products -----------------------------

def _table(values: list[str]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


_TARGETS = _table(['["Moon"]', '["Moon","Earth"]', '["Sun"]', "[]"])
_INSTRUMENTS = _table(sorted({i for m in MISSIONS for i in m[5]}))
_LEVELS = _table(sorted({lv for m in MISSIONS for lv, _ in m[7]}))
_NATIVES = _table(sorted({nat for m in MISSIONS for _, nat in m[7]}))
def _run_texts(run_mission: np.ndarray, run_instrument: np.ndarray,
               run_level: np.ndarray) -> dict[str, np.ndarray]:
    """Per run of one data set, the text its products share (object arrays; a few hundred runs).

    A product's identifiers are then ``prefix[run] + "<stamp>_<number>" + suffix[run]``: the strings
    :func:`_identifiers` builds one record at a time.
    """
    rows: list[tuple[str, ...]] = []
    for m, ins, lev in zip(run_mission.tolist(), run_instrument.tolist(), run_level.tolist(), strict=True):
        slug, _, _, _, fmt, instruments, _, levels = MISSIONS[m]
        instrument = instruments[ins % len(instruments)]
        level, native = levels[lev % len(levels)]
        up, low = slug.upper(), instrument.lower()
        title = f"{up} {instrument} {native} product "
        if slug.startswith("change"):
            ce = slug.replace("change-", "CE")
            prefix = f"{ce}_GRAS_{instrument}-1_SCI_N_"
            rows.append((prefix, f"_A.{native}", prefix, "", f"https://clpds.example.org/{ce}/{instrument}/"
                         f"{native}/", ".2BL", ".2B", "month", instrument, level, native, title))
        elif fmt == "PDS4":
            lid = f"urn:{slug}:pds:{slug.replace('-', '_')}_{low}:data_{native.lower()}:"
            rows.append((f"{low}_", "", f"{low}_", lid, f"https://archive.example.org/{slug}/{low}/data/",
                         ".xml", ".dat", "day", instrument, level, native, title))
        else:
            dsid = f"{up}-L-{instrument}-{native}-V1.0"
            prefix = f"{instrument[:3]}{native}_"
            rows.append((prefix, "", prefix.lower(), f"{dsid}/",
                         f"https://archive.example.org/{slug}/{dsid.lower()}/data/", ".lbl", ".img", "day",
                         instrument, level, native, title))
    names = ("pid_prefix", "pid_suffix", "url_pid_prefix", "lid_prefix", "url_dir", "label_ext", "data_ext",
             "dated", "instrument", "level", "native", "title_prefix")
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return {name: _table(list(values)) for name, values in zip(names, columns, strict=True)}


def _text(values: np.ndarray) -> np.ndarray:
    return values.astype("U").astype(object)


def _stamps(times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``YYYYmmddHHMMSS``, ``YYYY/jjj`` and ``YYYYmm`` of each time, as object arrays of str."""
    seconds = times.astype("datetime64[s]")
    year = seconds.astype("datetime64[Y]")
    month = seconds.astype("datetime64[M]")
    day = seconds.astype("datetime64[D]")
    y = year.astype(np.int64) + 1970
    mo = month.astype(np.int64) % 12 + 1
    d = (day - month).astype(np.int64) + 1
    sod = (seconds - day).astype(np.int64)
    stamp = ((((y * 100 + mo) * 100 + d) * 100 + sod // 3600) * 100 + sod // 60 % 60) * 100 + sod % 60
    doy = np.char.zfill(((day - year).astype(np.int64) + 1).astype("U"), 3).astype(object)
    return _text(stamp), _text(y) + "/" + doy, _text(y * 100 + mo)


def synthetic_columns(n: int, seed: int = 0, start: int = 0,
                      harvested: str = "2026-01-15T00:00:00") -> dict[str, Any]:
    """Columns of ``n`` products numbered from ``start`` (in-memory encoding, categorical fields as
    :class:`~archive_fed.catalog.encoding.Codes`), for :class:`~archive_fed.catalog.bulk.CatalogWriter`.

    The same kind of products as :func:`synthetic_records` — runs of :data:`RUN` products of one data
    set, identifiers and URLs in each agency's style, awkward footprints, missing values — built with
    array operations; ``uid`` is unique across calls for different rows. Same arguments, same columns.
    """
    rng = np.random.default_rng([seed, start])
    i = np.arange(start, start + n, dtype=np.int64)
    first_run = start // RUN
    runs = (start + n - 1) // RUN - first_run + 1 if n else 0
    # a run's data set depends on (seed, run) only, whatever the batch it falls in
    run_values = np.array([np.random.default_rng([seed, 7, first_run + k]).random(4) for k in range(runs)])
    run_values = run_values.reshape(runs, 4)
    cumulative = np.cumsum(WEIGHTS / WEIGHTS.sum())
    run_mission = np.minimum(np.searchsorted(cumulative, run_values[:, 0], side="right"), len(MISSIONS) - 1)
    run_instrument = (run_values[:, 1] * (1 << 30)).astype(np.int64)
    run_level = (run_values[:, 2] * (1 << 30)).astype(np.int64)
    run_start = run_values[:, 3] * 4 * 365 * 86400
    texts = _run_texts(run_mission, run_instrument, run_level)
    r = i // RUN - first_run
    mission = run_mission[r]

    # observation times: consecutive within a run (from the batch's first row if it starts mid-run)
    step = rng.exponential(600.0, n).round(3)
    segment = (i % RUN == 0) | (np.arange(n) == 0)
    step[segment] = 0.0
    clock = np.cumsum(step)
    offset = clock - clock[np.flatnonzero(segment)][np.cumsum(segment) - 1]
    years = np.array([np.datetime64(f"{m[6]}-01-01", "us").astype(np.int64) for m in MISSIONS])
    start_us = years[mission] + np.round((run_start[r] + offset) * 1e6).astype(np.int64)
    stop_us = start_us + np.round(rng.exponential(120.0, n) * 1e6).astype(np.int64)
    start_time = start_us.astype("datetime64[us]").astype("datetime64[ns]")
    stop_time = stop_us.astype("datetime64[us]").astype("datetime64[ns]")
    fp = _footprints(rng, n)
    footprint = _swaths(np.random.default_rng([seed, 17, start]), fp)
    misc = rng.random((n, 4))
    sizes = rng.integers(10_000, 500_000_000, n).astype(np.float64)
    md5 = np.frombuffer(rng.bytes(16 * n).hex().encode("ascii"), dtype="S32").astype("U32").astype(object)

    # identifiers: per-run prefixes and suffixes around "<stamp>_<number>"; + on object arrays of str
    stamp, ydoy, yyyymm = _stamps(start_time)
    t = {name: values[r] for name, values in texts.items()}
    core = stamp + "_" + np.char.zfill(i.astype("U"), 7).astype(object)
    pid = t["pid_prefix"] + core + t["pid_suffix"]
    lid = np.where(t["lid_prefix"] == "", pid, t["lid_prefix"] + pid)
    pds3 = t["label_ext"] == ".lbl"
    tenth = (t["label_ext"] == ".xml") & (i % 7 == 0)  # PDS4 version 1.10
    uid = np.where(pds3, lid, lid + np.where(tenth, "::1.10", "::1.0"))
    base = (t["url_dir"] + np.where(t["dated"] == "month", yyyymm, ydoy) + "/" + t["url_pid_prefix"] + core
            + t["pid_suffix"])
    data = base + t["data_ext"]
    data_urls = np.where(pds3 & (i % 5 == 0), '["' + data + '","' + base + '.tab"]', '["' + data + '"]')

    u = misc[:, 0]
    target_code = np.where(u < 0.9, 0, np.where(u < 0.95, 1, np.where(u < 0.98, 2, 3)))
    categorical = {
        "mission": _mission_codes(0, mission),
        "agency": _mission_codes(1, mission),
        "instrument_host": _mission_codes(2, mission),
        "archive": _mission_codes(3, mission),
        "label_format": _mission_codes(4, mission),
        "instrument": _run_codes(_INSTRUMENTS, texts["instrument"], r),
        "processing_level": _run_codes(_LEVELS, texts["level"], r),
        "processing_level_native": _run_codes(_NATIVES, texts["native"], r),
        "vid": Codes(np.where(pds3, -1, tenth.astype(np.int64)), _table(["1.0", "1.10"])),
        "targets": Codes(target_code, _TARGETS),
        "target": Codes(np.where(target_code == 3, -1, np.where(target_code == 2, 1, 0)),
                        _table(["Moon", "Sun"])),
    }
    nat = np.datetime64("NaT", "ns")
    columns = {
        "uid": uid, "lid": lid, "product_id": pid, "title": t["title_prefix"] + pid, **categorical,
        "start_time": np.where(misc[:, 1] < 0.02, nat, start_time),
        "stop_time": np.where(misc[:, 1] < 0.05, nat, stop_time),
        "lon_min": fp[:, 0], "lon_max": fp[:, 1], "lat_min": fp[:, 2], "lat_max": fp[:, 3],
        "label_url": base + t["label_ext"], "data_urls": data_urls,
        "file_size": np.where(misc[:, 2] < 0.03, np.nan, sizes),
        "md5": np.where(misc[:, 3] < 0.2, "", md5),
        "harvested_at": np.datetime64(harvested, "ns") + (i // 50).astype("timedelta64[s]"),
        "metadata_source": np.full(len(uid), "label", dtype=object),
        "footprint": footprint,
    }
    return {**null_columns(n, [f for f in FIELDS if f not in columns]), **columns}


def _run_codes(categories: np.ndarray, per_run: np.ndarray, r: np.ndarray) -> Codes:
    return Codes(np.searchsorted(categories, per_run)[r], categories)


def _mission_codes(column: int, mission: np.ndarray) -> Codes:
    """Codes of a field that follows the mission (0 slug, 1 agency, 2 host, 3 archive, 4 format)."""
    values = [m[column] for m in MISSIONS]
    categories = _table(sorted(set(values)))
    return Codes(np.searchsorted(categories, _table(values))[mission], categories)


def write_synthetic(path: str, n: int, seed: int = 0, batch: int = 65_536,
                    storage_options: dict | None = None) -> int:
    """Write a catalog store of ``n`` synthetic products (:func:`synthetic_columns`) batch by batch,
    with :class:`~archive_fed.catalog.bulk.CatalogWriter`: memory holds one batch, whatever ``n``.

    Returns ``n``.
    """
    from ..catalog.bulk import write_catalog

    batches = (synthetic_columns(min(batch, n - begin), seed=seed, start=begin)
               for begin in range(0, n, batch))
    return write_catalog(path, batches, storage_options=storage_options)
