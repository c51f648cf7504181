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

import numpy as np

from ..record import ProductRecord

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
            label_format=fmt, label_url=url, data_urls=data,
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
