"""Write the embedded sample archive (``pds3_volume/`` and ``pds4_bundle/``) deterministically.

    python -m archive_fed.sample.make_sample [--out DIR]

Every data file is generated here from integer formulas (no random numbers, no transcendental functions, so
the bytes are the same on every platform), and every label is filled from the templates below with the
sizes, checksums, byte offsets, record pointers, row counts and image statistics computed from those bytes.
Running it twice gives byte-identical trees (``tests/test_sample_archive.py`` checks this).

The labels imitate the dialects of the real archives (see ``../../shared/corpus`` in the project checkout):

* JAXA DARTS Kaguya PDS3: detached TC ``.lbl`` (CRLF, ``/*** ... ***/`` comments, aligned ``=``), attached
  MI-VIS Level 2B2 and MI_MAP labels (LF, ``Object = IMAGE`` ... ``End_Object``, wrapped sequences);
* LROC PDS3 EDR (attached, FIXED_LENGTH records, ``^IMAGE`` record pointer, MD5_CHECKSUM);
* GRAS Chang'e-4 LPR ``.2BL`` (PDS4-style XML, IM 1.5.0.0, tabs, literal ``None``, binary tables);
* LROC PDS4 migration labels (``lro:`` Mission_Area) over a PDS3 ``.IMG`` (Header + Array_2D_Image);
* KPLO ShadowCam PDS4 (targets Earth and Moon, cart Bounding_Coordinates).

All products, ids and values are invented; none is a copy of a real product.
"""
from __future__ import annotations

import argparse
import hashlib
import math
import struct
import sys
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
VOLUME_ID = "SLNSAMPLE_0001"
BUNDLE_LID = "urn:nasa:pds:archive_fed_sample"
CRLF = "\r\n"

# The Kaguya invalid-pixel convention (INVALID_TYPE / INVALID_VALUE of the L2B products).
INVALID_TYPES = ("SATURATION", "MINUS", "DUMMY_DEFECT", "OTHER")
INVALID_CODES = (-20000, -21000, -22000, -23000)
OUT_OF_BOUNDS = -30000


# ----------------------------------------------------------------------------------------------- helpers
def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def parse_time(text: str) -> datetime:
    text = text.rstrip("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in text else "%Y-%m-%dT%H:%M:%S"
    return datetime.strptime(text, fmt)


def fmt_time(dt: datetime, digits: int = 6, zone: str = "") -> str:
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{dt.microsecond:06d}"[:digits]
    return text + zone


def shift(dt: datetime, seconds: float) -> datetime:
    return dt + timedelta(microseconds=round(seconds * 1_000_000))


def crlf(lines: list[str]) -> bytes:
    return (CRLF.join(lines) + CRLF).encode("ascii")


def lf(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("ascii")


def pad_to(data: bytes, size: int) -> bytes:
    if len(data) > size:
        raise ValueError(f"label of {len(data)} bytes does not fit in {size} bytes")
    return data + b" " * (size - len(data))


def odl(key: str, value, indent: int = 0, width: int = 32) -> str:
    """One aligned PDS3 ``KEY = value`` statement; long values wrap under the value (lines joined by CR/LF)."""
    head = (" " * indent + key).ljust(width) + "= "
    value = str(value)
    if len(head) + len(value) <= 80:
        return head + value
    if value[:1] in "({":          # a set or sequence: break between its items, never inside a quoted item
        parts = value.split('"')
        value = '"'.join(p.replace(" ", "\0") if i % 2 else p for i, p in enumerate(parts))
    lines = textwrap.wrap(value, width=80, initial_indent=head, subsequent_indent=" " * len(head),
                          break_long_words=False, break_on_hyphens=False)
    return CRLF.join(lines).replace("\0", " ")


def round_up(n: int, block: int) -> int:
    return -(-n // block) * block


def dn_stats(values: np.ndarray, shadow_max: int) -> dict:
    """Statistics of the valid (non-flag) DNs, as the Kaguya L2B labels give them."""
    flags = set(INVALID_CODES) | {OUT_OF_BOUNDS}
    valid = [int(v) for v in values.ravel() if int(v) not in flags]
    n = len(valid)
    mean = sum(valid) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in valid) / n)
    counts = Counter(valid)
    top = max(counts.values())
    mode = min(v for v, c in counts.items() if c == top)
    shadowed = sum(1 for v in valid if v <= shadow_max)
    return {
        "max": max(valid), "min": min(valid), "mean": f"{mean:.1f}", "std": f"{std:.1f}", "mode": mode,
        "shadow_pct": round(100 * shadowed / n),
        "invalid": tuple(int(np.count_nonzero(values == c)) for c in INVALID_CODES),
        "oob": int(np.count_nonzero(values == OUT_OF_BOUNDS)),
    }


def seq(values, sep: str = ", ", quote: bool = False) -> str:
    items = [f'"{v}"' if quote else str(v) for v in values]
    return "(" + sep.join(items) + ")"


def circular_mean_lon(lons: list[float]) -> float:
    ref = lons[0]
    unwrapped = [ref + ((lon - ref + 180.0) % 360.0 - 180.0) for lon in lons]
    return (sum(unwrapped) / len(unwrapped)) % 360.0


def scene_corners(clat: float, clon: float, half_lat: float, half_lon: float, moving_south: bool) -> dict:
    """Corner coordinates of a push-broom scene around (clat, clon), slightly skewed like real scenes."""
    north, south = clat + half_lat, clat - half_lat
    west, east = clon - half_lon, clon + half_lon
    nw = (north + 0.002113, west + 0.071 * half_lon)
    ne = (north - 0.026277, east + 0.058 * half_lon)
    sw = (south + 0.030864, west - 0.081 * half_lon)
    se = (south - 0.001694, east - 0.069 * half_lon)
    ul, ur, ll, lr = (nw, ne, sw, se) if moving_south else (se, sw, ne, nw)
    corners = {name: (round(lat, 6), round(lon % 360.0, 6))
               for name, (lat, lon) in zip(("UPPER_LEFT", "UPPER_RIGHT", "LOWER_LEFT", "LOWER_RIGHT"),
                                           (ul, ur, ll, lr))}
    lats = [c[0] for c in corners.values()]
    lons = [c[1] for c in corners.values()]
    corners["CENTER"] = (round(sum(lats) / 4, 6), round(circular_mean_lon(lons), 6))
    return corners


def kaguya_scene_code(rev: int, center: tuple[float, float]) -> str:
    lat, lon = center
    return f"{rev:05d}{'N' if lat >= 0 else 'S'}{round(abs(lat) * 10):03d}E{round(lon * 10) % 3600:04d}"


# Kaguya spacecraft clock: seconds, anchored on one real (clock, UTC) pair; the drift is ignored.
KAGUYA_SCLK_EPOCH = (parse_time("2009-04-05T20:09:53.610804"), 922997380.1775)
# LRO clock "1/seconds:subticks(1/65536)" and the LROC product number (clock seconds minus a fixed offset).
LRO_SCLK_EPOCH = (parse_time("2009-07-30T12:20:38.185"), 270649238 + 11024 / 65536)
LROC_ID_OFFSET = 167053532
# LRO orbit count, linear between two real (time, orbit) pairs.
LRO_ORBIT_EPOCH = (parse_time("2009-07-30T12:20:38"), 433, 12.466)


def kaguya_sclk(dt: datetime) -> float:
    t0, c0 = KAGUYA_SCLK_EPOCH
    return c0 + (dt - t0) / timedelta(seconds=1)


def lro_sclk(dt: datetime) -> tuple[int, int]:
    t0, c0 = LRO_SCLK_EPOCH
    clock = c0 + (dt - t0) / timedelta(seconds=1)
    seconds = int(clock)
    return seconds, int((clock - seconds) * 65536)


def lro_orbit(dt: datetime) -> int:
    t0, n0, per_day = LRO_ORBIT_EPOCH
    return n0 + int((dt - t0) / timedelta(days=1) * per_day)


# ------------------------------------------------------------------------------------------ pixel data
def terrain(lines: int, samples: int, base: int, gx: int, gy: int, crater: tuple[int, int, int, int, int],
            shadow_cols: int = 0) -> np.ndarray:
    """A small integer 'terrain': a gradient, one crater (bowl + bright rim), optional shadow wedge."""
    y, x = np.mgrid[0:lines, 0:samples].astype(np.int64)
    dn = base + gx * x + gy * y + ((x * 7 + y * 13) % 11) * 3
    cy, cx, r, depth, rim = crater
    d2 = (x - cx) ** 2 + (y - cy) ** 2
    dn = np.where(d2 < r * r, dn - (r * r - d2) * depth, dn)
    dn = np.where((d2 >= r * r) & (d2 < (r + 2) ** 2), dn + rim, dn)
    if shadow_cols:
        dn = np.where(x < shadow_cols - y // 3, 0, dn)
    return np.clip(dn, 0, 32767)


def place(image: np.ndarray, pixels: list[tuple]) -> np.ndarray:
    out = image.copy()
    for *index, code in pixels:
        out[tuple(index)] = code
    return out


# ==================================================================================== PDS3: Kaguya TC
@dataclass
class TCScene:
    rev: int
    start: str
    clat: float
    clon: float
    moving_south: bool
    phase: str
    strip: int
    scene: int
    illumination: str
    exposure: str
    angles: tuple[float, float, float, float]          # incidence, emission, phase, solar azimuth
    altitude: float
    ground_speed: float
    temps: tuple[float, ...]                           # focal plane, telescope, TC1 tel, TC2 tel, DPU, TM, TM rad
    created: str
    program_start: str
    day_flags: tuple[str, str, str, str]
    spice: str
    calib: tuple[str, str]                             # dark/flat file id range "ddddd_ddddd"
    image: dict
    date_dir: str
    half: tuple[float, float] = (0.66, 0.575)          # half extent: deg latitude, km-equivalent longitude deg
    lines: int = 24
    samples: int = 32


TC_EXPOSURE_MS = {"LONG": 6.5, "MIDDLE": 3.25, "SHORT": 1.625}
TC_DATA_SET = "SLN-L-TC-3-S-LEVEL2B0-V1.0"

TC_SCENES = [
    TCScene(rev=2731, start="2008-05-20T06:42:17.294516", clat=15.32, clon=21.18, moving_south=True,
            phase="Nominal", strip=1, scene=37, illumination="MORNING", exposure="MIDDLE",
            angles=(48.212, 15.204, 56.371, 102.664), altitude=101.352, ground_speed=1.551,
            temps=(20.41, 20.12, 20.33, 19.87, 15.02, 19.95, 18.22), created="2013-06-18T02:41:55",
            program_start="2013-06-18T02:41:49", day_flags=("Day", "Day", "Day", "Day"),
            spice="RGC_INF_TCv401IK_MIv200IK_SPv105IK_RISE100h_02_LongCK_D_V02_de421_110706.mk",
            calib=("02269_02938", "02269_02938"), date_dir="20080520",
            image=dict(base=520, gx=9, gy=6, crater=(12, 19, 5, 9, 140), invalid=[(3, 30, -20000), (4, 30, -20000)],
                       shadow_max=0)),
    TCScene(rev=3896, start="2008-08-23T11:05:49.731208", clat=7.83, clon=158.27, moving_south=False,
            phase="Nominal", strip=2, scene=12, illumination="EVENING", exposure="LONG",
            angles=(61.507, 14.882, 71.938, 261.305), altitude=99.478, ground_speed=1.553,
            temps=(19.88, 19.64, 19.79, 19.51, 14.77, 19.60, 17.94), created="2013-06-21T11:07:32",
            program_start="2013-06-21T11:07:26", day_flags=("Day", "Day", "Day", "Day"),
            spice="RGC_INF_TCv401IK_MIv200IK_SPv105IK_RISE100h_02_LongCK_D_V02_de421_110706.mk",
            calib=("03629_04002", "03629_04002"), date_dir="20080823",
            image=dict(base=340, gx=4, gy=11, crater=(8, 9, 6, 6, 90), invalid=[], shadow_max=0)),
    TCScene(rev=5307, start="2008-12-16T02:27:40.118372", clat=-0.08, clon=359.62, moving_south=True,
            phase="Extended", strip=1, scene=44, illumination="MORNING", exposure="SHORT",
            angles=(29.774, 15.391, 44.902, 88.517), altitude=98.116, ground_speed=1.556,
            temps=(21.05, 20.83, 20.97, 20.61, 15.40, 20.70, 18.65), created="2013-07-02T06:15:18",
            program_start="2013-07-02T06:15:11", day_flags=("Day", "Day", "Day", "Day"),
            spice="RGC_INF_TCv401IK_MIv200IK_SPv105IK_RISE100i_05_LongCK_D_V02_de421_110706.mk",
            calib=("04740_05496", "04740_05496"), date_dir="20081216",
            image=dict(base=900, gx=12, gy=-5, crater=(15, 8, 4, 14, 210), invalid=[(20, 2, -21000)],
                       shadow_max=0)),
    TCScene(rev=6812, start="2009-04-15T13:51:06.402931", clat=-85.52, clon=136.18, moving_south=True,
            phase="Extended", strip=1, scene=3, illumination="MORNING", exposure="LONG",
            angles=(87.612, 15.733, 74.105, 351.270), altitude=38.714, ground_speed=1.612,
            temps=(19.52, 19.80, 19.93, 19.60, 14.38, 19.61, 17.86), created="2013-06-11T04:52:40",
            program_start="2013-06-11T04:52:33", day_flags=("Day", "Day", "Night", "Day"),
            spice="RGC_INF_TCv401IK_MIv200IK_SPv105IK_RISE100i_05_LongCK_D_V02_de421_110706.mk",
            calib=("04740_07536", "04740_07536"), date_dir="20090415",
            image=dict(base=60, gx=14, gy=3, crater=(16, 22, 6, 2, 160), shadow_cols=14,
                       invalid=[(0, 31, -20000), (1, 31, -20000), (2, 31, -20000)], shadow_max=0)),
]


def darts(key: str, value, indent: int = 0) -> str:
    """One DARTS detached-label line: the ``=`` in column 38."""
    return (" " * indent + key).ljust(37) + "= " + str(value)


def tc_product(s: TCScene) -> dict:
    start = parse_time(s.start)
    stop = shift(start, 30.2575)
    cstart, cstop = shift(start, -0.003326), shift(stop, -0.003326)
    half_lon = s.half[1] / max(math.cos(math.radians(s.clat)), 0.05)
    c = scene_corners(s.clat, s.clon, s.half[0], half_lon, s.moving_south)
    product_id = f"TC1S2B0_01_{kaguya_scene_code(s.rev, c['CENTER'])}"
    img_name, lbl_name = product_id + ".img", product_id + ".lbl"

    im = s.image
    dn = terrain(s.lines, s.samples, im["base"], im["gx"], im["gy"], im["crater"], im.get("shadow_cols", 0))
    dn = place(dn, im["invalid"])
    data = dn.astype(">i2").tobytes()
    st = dn_stats(dn, im["shadow_max"])

    sclk0, sclk1 = kaguya_sclk(start), kaguya_sclk(stop)
    exp_ms = TC_EXPOSURE_MS[s.exposure]
    exp_code = s.exposure[0]
    inc, emi, pha, azi = s.angles
    t = s.temps
    lines = [
        darts("PDS_VERSION_ID", '"PDS3"'),
        "",
        "/*** FILE FORMAT ***/",
        darts("RECORD_TYPE", '"UNDEFINED"'),
        darts("FILE_NAME", f'"{img_name}"'),
        "",
        "/*** POINTERS TO START BYTE OFFSET OF OBJECTS IN FILE ***/",
        darts("^IMAGE", f'("{img_name}", 1 <BYTES>)'),
        "",
        "/*** BASIC INFORMATION ***/",
        darts("MISSION_NAME", '"SELENE"'),
        darts("DATA_SET_ID", f'"{TC_DATA_SET}"'),
        darts("DATA_SET_NAME", '"SELENE MOON TC 3 MONO LEVEL2B0 V1.0"'),
        darts("L2DB_ORIGINAL_ID", '"TC_s_Level2B0"'),
        darts("PRODUCT_ID", f'"{product_id}"'),
        darts("INSTRUMENT_TYPE", '"IMAGER"'),
        darts("INSTRUMENT_ID", '"TC1"'),
        darts("INSTRUMENT_NAME", '"TERRAIN CAMERA 1"'),
        darts("INSTRUMENT_HOST_NAME", '"SELENE MAIN ORBITER"'),
        darts("TARGET_TYPE", '"SATELLITE"'),
        darts("TARGET_NAME", '"MOON"'),
        darts("START_TIME", fmt_time(start)),
        darts("STOP_TIME", fmt_time(stop)),
        "",
        "/*** GENERAL DATA DESCRIPTION PARAMETERS ***/",
        darts("SOFTWARE_NAME", '"RGC_TC_s_Level2B0"'),
        darts("SOFTWARE_VERSION", '"1.0.0"'),
        darts("PROCESS_VERSION_ID", '"L2B"'),
        darts("PRODUCT_CREATION_TIME", s.created),
        darts("PROGRAM_START_TIME", s.program_start),
        darts("PRODUCER_ID", '"LISM"'),
        darts("PRODUCT_SET_ID", '"TC_s_Level2B0"'),
        darts("PRODUCT_VERSION_ID", '"01"'),
        darts("REGISTERED_PRODUCT", '"Y"'),
        darts("ILLUMINATION_CONDITION", f'"{s.illumination}"'),
        darts("LEVEL2A_FILE_NAME", f'"TC1S2A0_02T{exp_code}F{s.rev:05d}_{s.strip:03d}_{s.scene:04d}.img"'),
        darts("SPICE_METAKERNEL_FILE_NAME", f'"{s.spice}"'),
        "",
        "/*** SCENE RELATED PARAMETERS ***/",
        darts("MISSION_PHASE_NAME", f'"{s.phase}"'),
        darts("REVOLUTION_NUMBER", s.rev),
        darts("STRIP_SEQUENCE_NUMBER", s.strip),
        darts("SCENE_SEQUENCE_NUMBER", s.scene),
        darts("UPPER_LEFT_DAYTIME_FLAG", f'"{s.day_flags[0]}"'),
        darts("UPPER_RIGHT_DAYTIME_FLAG", f'"{s.day_flags[1]}"'),
        darts("LOWER_LEFT_DAYTIME_FLAG", f'"{s.day_flags[2]}"'),
        darts("LOWER_RIGHT_DAYTIME_FLAG", f'"{s.day_flags[3]}"'),
        darts("OBSERVATION_MODE_ID", '"NORMAL"'),
        darts("SENSOR_DESCRIPTION", '"Imagery type:Pushbroom. ImageryMode:Mono,Stereo. ExposureTimeMode:Long,'
                                    'Middle,Short. CompressionMode:NonComp,DCT. Q-table:32 patterns. H-table:4 '
                                    'patterns. SwathMode:F(Full),N(Nominal),H(Half). First pixel number:1(F),'
                                    '297(N),1172(H)."'),
        darts("SENSOR_DESCRIPTION2", '"Pixel size:7x7[micron^2](TC1/TC2). Wavelength range:430-850[nm](TC1/TC2). '
                                     'A/D rate:10[bit](TC1/TC2). Slant angle:+/-15[degree] (from nadir to +x of '
                                     'S/C)(TC1/TC2). Focal length:72.45/72.63[mm](TC1/TC2). F number:3.97/3.98'
                                     '(TC1/TC2)."'),
        darts("DETECTOR_STATUS", '("TC1:ON","TC2:OFF","MV:OFF","MN:OFF","SP:ON")'),
        darts("EXPOSURE_MODE_ID", f'"{s.exposure}"'),
        darts("LINE_EXPOSURE_DURATION", f"({exp_ms:.6f} <ms>)"),
        darts("SPACECRAFT_CLOCK_START_COUNT", f' "{sclk0:.4f} <s>"'),
        darts("SPACECRAFT_CLOCK_STOP_COUNT", f' "{sclk1:.4f} <s>"'),
        darts("CORRECTED_SC_CLOCK_START_COUNT", f" {sclk0 - 0.003326:.6f} <s>"),
        darts("CORRECTED_SC_CLOCK_STOP_COUNT", f" {sclk1 - 0.003326:.6f} <s>"),
        darts("CORRECTED_START_TIME", fmt_time(cstart)),
        darts("CORRECTED_STOP_TIME", fmt_time(cstop)),
        darts("LINE_SAMPLING_INTERVAL", f"{6.5:10.6f} <ms>"),
        darts("CORRECTED_SAMPLING_INTERVAL", f"({6.5:.6f} <ms>)"),
    ]
    for corner in ("UPPER_LEFT", "UPPER_RIGHT", "LOWER_LEFT", "LOWER_RIGHT"):
        lat, lon = c[corner]
        lines.append(darts(f"{corner}_LATITUDE", f"{lat:10.6f} <deg>"))
        lines.append(darts(f"{corner}_LONGITUDE", f"{lon:10.6f} <deg>"))
    lines += [
        darts("LOCATION_FLAG", '"D"'),
        darts("ROLL_CANT", '"NO"'),
        darts("SCENE_CENTER_LATITUDE", f"{c['CENTER'][0]:10.6f} <deg>"),
        darts("SCENE_CENTER_LONGITUDE", f"{c['CENTER'][1]:10.6f} <deg>"),
        darts("INCIDENCE_ANGLE", f"{inc:7.3f} <deg>"),
        darts("EMISSION_ANGLE", f"{emi:7.3f} <deg>"),
        darts("PHASE_ANGLE", f"{pha:7.3f} <deg>"),
        darts("SOLAR_AZIMUTH_ANGLE", f"{azi:7.3f} <deg>"),
        darts("FOCAL_PLANE_TEMPERATURE", f"({t[0]:.2f} <degC>)"),
        darts("TELESCOPE_TEMPERATURE", f"({t[1]:.2f} <degC>)"),
        darts("SATELLITE_MOVING_DIRECTION", "+1" if s.moving_south else "-1"),
        darts("FIRST_SAMPLED_LINE_POSITION", '"UPPERMOST"'),
        darts("FIRST_DETECTOR_ELEM_POSITION", '"LEFT"'),
        darts("A_AXIS_RADIUS", "1737.400 <km>"),
        darts("B_AXIS_RADIUS", "1737.400 <km>"),
        darts("C_AXIS_RADIUS", "1737.400 <km>"),
        darts("DEFECT_PIXEL_POSITION", '"N/A"'),
        "",
        "/*** CAMERA RELATED PARAMETERS ***/",
        darts("SWATH_MODE_ID", '"FULL"'),
        darts("FIRST_PIXEL_NUMBER", 1),
        darts("LAST_PIXEL_NUMBER", 3208),
        darts("SPACECRAFT_ALTITUDE", f"{s.altitude:8.3f} <km>"),
        darts("SPACECRAFT_GROUND_SPEED", f"{s.ground_speed:6.3f} <km/s>"),
        darts("TC1_TELESCOPE_TEMPERATURE", f"{t[2]:6.2f} <degC>"),
        darts("TC2_TELESCOPE_TEMPERATURE", f"{t[3]:6.2f} <degC>"),
        darts("DPU_TEMPERATURE", f"{t[4]:6.2f} <degC>"),
        darts("TM_TEMPERATURE", f"{t[5]:6.2f} <degC>"),
        darts("TM_RADIATOR_TEMPERATURE", f"{t[6]:6.2f} <degC>"),
        darts("Q_TABLE_ID", '"N/A"'),
        darts("HUFFMAN_TABLE_ID", '"N/A"'),
        darts("DATA_COMPRESSION_PERCENT_MEAN", "100.0"),
        darts("DATA_COMPRESSION_PERCENT_MAX", "100.0"),
        darts("DATA_COMPRESSION_PERCENT_MIN", "100.0"),
        "",
        "/*** DESCRIPTION OF OBJECTS CONTAINED IN THE FILE ***/",
        "",
        darts("OBJECT", "IMAGE"),
        darts("COMPRESSION_TYPE", '"N/A"', 4),
        darts("COMPRESSION_PERCENT", "100.0", 4),
        darts("NOMINAL_LINE_NUMBER", 4088, 4),
        darts("NOMINAL_OVERLAP_LINE_NUMBER", 568, 4),
        darts("OVERLAP_LINE_NUMBER", 568, 4),
        darts("LINES", s.lines, 4),
        darts("LINE_SAMPLES", s.samples, 4),
        darts("SAMPLE_TYPE", "MSB_INTEGER", 4),
        darts("SAMPLE_BITS", 16, 4),
        darts("IMAGE_VALUE_TYPE", '"RADIANCE"', 4),
        darts("UNIT", '"W/m**2/micron/sr"', 4),
        darts("SCALING_FACTOR", "1.30000e-02", 4),
        darts("OFFSET", "0.00000e+00", 4),
        darts("MIN_FOR_STATISTICAL_EVALUATION", 0, 4),
        darts("MAX_FOR_STATISTICAL_EVALUATION", 32767, 4),
        darts("SCENE_MAXIMUM_DN", st["max"], 4),
        darts("SCENE_MINIMUM_DN", st["min"], 4),
        darts("SCENE_AVERAGE_DN", st["mean"], 4),
        darts("SCENE_STDEV_DN", st["std"], 4),
        darts("SCENE_MODE_DN", st["mode"], 4),
        darts("SHADOWED_AREA_MINIMUM", 0, 4),
        darts("SHADOWED_AREA_MAXIMUM", im["shadow_max"], 4),
        darts("SHADOWED_AREA_PERCENTAGE", st["shadow_pct"], 4),
        darts("INVALID_TYPE", seq(INVALID_TYPES, " , ", quote=True), 4),
        darts("INVALID_VALUE", seq(INVALID_CODES, " , "), 4),
        darts("INVALID_PIXELS", seq(st["invalid"], " , "), 4),
        darts("END_OBJECT", "IMAGE"),
        "",
        darts("OBJECT", "PROCESSING_PARAMETERS"),
        darts("DARK_FILE_NAME", f'"TC1_DRK_{s.calib[0]}_{exp_code}_N_b05.csv"', 4),
        darts("FLAT_FILE_NAME", f'"TC1_FLT_{s.calib[1]}_N_N_b05.csv"', 4),
        darts("EFFIC_FILE_NAME", '"TC1_EFF_PRFLT_N_N_v01.csv"', 4),
        darts("NONLIN_FILE_NAME", '"TC1_NLT_PRFLT_N_N_v01.csv"', 4),
        darts("RAD_CNV_COEF", "(3.790009 <W/m**2/micron/sr>)", 4),
        darts("L2A_DEAD_PIXEL_THRESHOLD", 30, 4),
        darts("L2A_SATURATION_THRESHOLD", 1023, 4),
        darts("DARK_VALID_MINIMUM", -5, 4),
        darts("RADIANCE_SATURATION_THRESHOLD", "425.971000 <W/m**2/micron/sr>", 4),
        darts("END_OBJECT", "PROCESSING_PARAMETERS"),
        "END",
    ]
    path = f"DATA/TC/2B0/{s.date_dir}/"
    return {
        "files": {path + lbl_name: crlf(lines), path + img_name: data},
        "index": dict(path=path, file=lbl_name, product_id=product_id, data_set_id=TC_DATA_SET,
                      instrument="TC1", start=fmt_time(start), stop=fmt_time(stop), created=s.created),
        "summary": dict(product_id=product_id, corners=c),
    }


# ============================================================== PDS3: attached labels in the ISIS/pvl style
def isis_block(items: list, indent: int = 0) -> list[str]:
    """Lines of an attached Kaguya label block: keys aligned per block, long sequences wrapped at 80."""
    keys = [it[0] for it in items if it[0] != "Object"]
    width = max(indent + len(k) for k in keys) + 1 if keys else 0
    out: list[str] = []
    for it in items:
        if it[0] == "Object":
            _, name, sub = it
            out.append(" " * indent + f"Object = {name}")
            out += isis_block(sub, indent + 2)
            out.append(" " * indent + f"End_Object = {name}")
            continue
        key, value = it[0], str(it[1])
        aligned = (" " * indent + key).ljust(width) + "= " + value
        if value.startswith('"') or len(aligned) <= 80:
            out.append(aligned)
        else:
            prefix = " " * indent + key + " = "
            out += textwrap.wrap(value, width=80, initial_indent=prefix, subsequent_indent=" " * len(prefix),
                                 break_long_words=False, break_on_hyphens=False)
    return out


def attached(label_lines_for, data_blocks: list[bytes], block: int = 512) -> tuple[bytes, list[int]]:
    """Assemble an attached-label file: label padded with spaces, then the data blocks back to back.

    ``label_lines_for(pointers)`` builds the label for given 1-based byte pointers; iterate to a fixed point.
    """
    pointers = [1] * len(data_blocks)
    for _ in range(10):
        text = label_lines_for(pointers)
        size = round_up(len(text), block)
        new, pos = [], size
        for d in data_blocks:
            new.append(pos + 1)
            pos += len(d)
        if new == pointers:
            return pad_to(text, size) + b"".join(data_blocks), pointers
        pointers = new
    raise RuntimeError("label pointers did not converge")


MI_SENSOR_DESCRIPTION = ('"MI is a multiband push-broom imaging camera consisting of VIS(V) and NIR(N) sensors '
                         '(each has nadir-directed optics of f number 65 mm and F ratio 3.7). Detector pixel '
                         'sizes in micron are 13(V) and 40(N)."')
MI_SENSOR_DESCRIPTION2 = ('"Physical band arrangement [from satellite -x to +x] are VIS1>VIS2>VIS5>VIS4>VIS3 and '
                          'NIR3>NIR4>NIR1>NIR2. Parallax between nearest band sets [degree] are 2.7 for VIS and '
                          '2.6 for NIR. Sampling time [msec] are 13 for VIS and 39 for NIR."')
MV_FILTERS = ("MV1", "MV2", "MV3", "MV4", "MV5")
MV_WAVELENGTHS = (414.0, 749.0, 901.0, 950.0, 1001.0)
MV_BANDWIDTHS = (20.0, 12.0, 21.0, 30.0, 42.0)
MV_RAD_CNV = (1.470593, 2.204781, 2.244315, 2.734361, 1.885889)


@dataclass
class MVScene:
    rev: int
    start: str
    clat: float
    clon: float
    moving_south: bool
    strip: int
    scene: int
    exposure: str
    angles: tuple[float, float, float, float]
    altitude: float
    ground_speed: float
    temps: tuple[float, float]
    created: str
    program_start: str
    software_version: str
    spice: str
    calib: str
    date_dir: str
    image: dict
    lines: int = 24
    samples: int = 32


MV_EXPOSURE_MS = {"LONG": 5.3246, "MIDDLE": 2.6623, "SHORT": 1.3297}

MV_SCENES = [
    MVScene(rev=1842, start="2008-03-08T17:52:31.604512", clat=40.23, clon=331.77, moving_south=False,
            strip=3, scene=21, exposure="MIDDLE", angles=(58.804, 0.512, 58.633, 121.442), altitude=118.624,
            ground_speed=1.516, temps=(21.12, 18.06), created="2009-11-09T05:47:13",
            program_start="2009-11-09T01:12:40", software_version="2.6.0",
            spice="RGC_INF_TCv301IK_MIv104IK_SPv104IK_RISE100g_de421_091007.mk", calib="01226_01571_M",
            date_dir="20080308",
            image=dict(base=3050, gx=21, gy=-9, crater=(9, 20, 5, 18, 420), band_factors=(560, 1000, 790, 740, 690),
                       oob_lines=(3, 2, 2, 1, 0), invalid=[])),
    MVScene(rev=4457, start="2008-10-08T04:18:55.027114", clat=-43.31, clon=348.84, moving_south=True,
            strip=2, scene=48, exposure="SHORT", angles=(35.127, 0.388, 35.210, 64.975), altitude=112.903,
            ground_speed=1.521, temps=(21.47, 18.52), created="2009-12-15T09:03:27",
            program_start="2009-12-15T04:41:02", software_version="2.6.1",
            spice="RGC_INF_TCv301IK_MIv104IK_SPv104IK_RISE100g_de421_091007.mk", calib="04363_04701_S",
            date_dir="20081008",
            image=dict(base=4200, gx=-16, gy=25, crater=(13, 11, 7, 22, 900), band_factors=(540, 1000, 810, 760, 700),
                       oob_lines=(0, 1, 2, 2, 3), invalid=[(1, 6, 27, -20000), (1, 7, 27, -20000)])),
]


def mv_product(s: MVScene) -> dict:
    start = parse_time(s.start)
    stop = shift(start, 12.468)
    cstart, cstop = shift(start, -0.00769), shift(stop, -0.008715)
    half_lon = 0.29 / math.cos(math.radians(s.clat))
    c = scene_corners(s.clat, s.clon, 0.32, half_lon, s.moving_south)
    product_id = f"MVA_2B2_01_{kaguya_scene_code(s.rev, c['CENTER'])}"
    img_name = product_id + ".img"

    im = s.image
    base = terrain(s.lines, s.samples, im["base"], im["gx"], im["gy"], im["crater"])
    cube = np.stack([(base * f) // 1000 for f in im["band_factors"]])
    for b, k in enumerate(im["oob_lines"]):
        cube[b, :k, :] = OUT_OF_BOUNDS
    cube = place(cube, im["invalid"])
    data = cube.astype(">i2").tobytes()
    stats = [dn_stats(cube[b], 327) for b in range(cube.shape[0])]

    sclk0, sclk1 = kaguya_sclk(start), kaguya_sclk(stop)
    inc, emi, pha, azi = s.angles

    def label(pointers):
        top = [
            ("PDS_VERSION_ID", "PDS3"), ("RECORD_TYPE", "UNDEFINED"), ("FILE_NAME", img_name),
            ("PRODUCT_ID", product_id), ("DATA_FORMAT", "PDS"), ("^IMAGE", f"{pointers[0]} <BYTES>"),
            ("SOFTWARE_NAME", "RGC_TC_MI"), ("SOFTWARE_VERSION", s.software_version),
            ("PROCESS_VERSION_ID", "L2B"), ("PRODUCT_CREATION_TIME", s.created),
            ("PROGRAM_START_TIME", s.program_start), ("PRODUCER_ID", "LISM"),
            ("PRODUCT_SET_ID", "MI-VIS_Level2B2"), ("PRODUCT_VERSION_ID", '"01"'), ("REGISTERED_PRODUCT", "Y"),
            ("LEVEL2A_FILE_NAME", f"MV52A0_02N{s.exposure[0]}{s.rev:05d}_{s.strip:03d}_{s.scene:04d}.img"),
            ("SPICE_METAKERNEL_FILE_NAME", s.spice), ("MISSION_NAME", "SELENE"), ("SPACECRAFT_NAME", "SELENE-M"),
            ("DATA_SET_ID", "MI-VIS_Level2B"), ("INSTRUMENT_NAME", '"Multiband Imager Visible"'),
            ("INSTRUMENT_ID", "MI-VIS"), ("MISSION_PHASE_NAME", "Nominal"), ("REVOLUTION_NUMBER", s.rev),
            ("STRIP_SEQUENCE_NUMBER", s.strip), ("SCENE_SEQUENCE_NUMBER", s.scene),
            ("UPPER_LEFT_DAYTIME_FLAG", "Day"), ("UPPER_RIGHT_DAYTIME_FLAG", "Day"),
            ("LOWER_LEFT_DAYTIME_FLAG", "Day"), ("LOWER_RIGHT_DAYTIME_FLAG", "Day"), ("TARGET_NAME", "MOON"),
            ("OBSERVATION_MODE_ID", "NORMAL"), ("SENSOR_DESCRIPTION", MI_SENSOR_DESCRIPTION),
            ("SENSOR_DESCRIPTION2", MI_SENSOR_DESCRIPTION2),
            ("DETECTOR_STATUS", "{MN:ON, TC2:OFF, MV:ON, TC1:OFF, SP:ON}"),
            ("EXPOSURE_MODE_ID", s.exposure), ("LINE_EXPOSURE_DURATION", f"{MV_EXPOSURE_MS[s.exposure]} <msec>"),
            ("SPACECRAFT_CLOCK_START_COUNT", f"{sclk0:.3f} <sec>"),
            ("SPACECRAFT_CLOCK_STOP_COUNT", f"{sclk1:.3f} <sec>"),
            ("CORRECTED_SC_CLOCK_START_COUNT", f"{sclk0 - 0.00769:.5f} <sec>"),
            ("CORRECTED_SC_CLOCK_STOP_COUNT", f"{sclk1 - 0.008715:.6f} <sec>"),
            ("START_TIME", fmt_time(start)), ("STOP_TIME", fmt_time(stop)),
            ("CORRECTED_START_TIME", fmt_time(cstart)), ("CORRECTED_STOP_TIME", fmt_time(cstop)),
            ("LINE_SAMPLING_INTERVAL", "13.0 <msec>"), ("CORRECTED_SAMPLING_INTERVAL", "12.999974 <msec>"),
        ]
        for corner in ("UPPER_LEFT", "UPPER_RIGHT", "LOWER_LEFT", "LOWER_RIGHT"):
            top += [(f"{corner}_LATITUDE", f"{c[corner][0]} <deg>"), (f"{corner}_LONGITUDE", f"{c[corner][1]} <deg>")]
        top += [
            ("LOCATION_FLAG", "A"), ("ROLL_CANT", "NO"),
            ("SCENE_CENTER_LATITUDE", f"{c['CENTER'][0]} <deg>"), ("SCENE_CENTER_LONGITUDE", f"{c['CENTER'][1]} <deg>"),
            ("INCIDENCE_ANGLE", f"{inc} <deg>"), ("EMISSION_ANGLE", f"{emi} <deg>"), ("PHASE_ANGLE", f"{pha} <deg>"),
            ("SOLAR_AZIMUTH_ANGLE", f"{azi} <deg>"), ("FOCAL_PLANE_TEMPERATURE", f"{s.temps[0]} <degC>"),
            ("TELESCOPE_TEMPERATURE", f"{s.temps[1]} <degC>"),
            ("SATELLITE_MOVING_DIRECTION", '"+1"' if s.moving_south else '"-1"'),
            ("FIRST_SAMPLED_LINE_POSITION", "UPPERMOST"), ("FIRST_DETECTOR_ELEMENT_POSITION", "LEFT"),
            ("A_AXIS_RADIUS", "1737.4 <km>"), ("B_AXIS_RADIUS", "1737.4 <km>"), ("C_AXIS_RADIUS", "1737.4 <km>"),
            ("DEFECT_PIXEL_POSITION", "(N/A, N/A, N/A, N/A, N/A)"), ("FILTER_NAME", seq(MV_FILTERS)),
            ("CENTER_FILTER_WAVELENGTH", seq(MV_WAVELENGTHS) + " <nm>"), ("BANDWIDTH", seq(MV_BANDWIDTHS) + " <nm>"),
            ("BASE_BAND", "MV5"), ("SPACECRAFT_ALTITUDE", f"{s.altitude} <km>"),
            ("SPACECRAFT_GROUND_SPEED", f"{s.ground_speed} <km/sec>"),
        ]
        image = [
            ("NOMINAL_LINE_NUMBER", 864), ("NOMINAL_OVERLAP_LINE_NUMBER", 96), ("OVERLAP_LINE_NUMBER", 96),
            ("BANDS", cube.shape[0]), ("BAND_STORAGE_TYPE", '"BAND SEQUENTIAL"'), ("LINES", s.lines),
            ("LINE_SAMPLES", s.samples), ("SAMPLE_TYPE", "MSB_INTEGER"), ("SAMPLE_BITS", 16),
            ("IMAGE_VALUE_TYPE", "RADIANCE"), ("UNIT", "W/m**2/micron/sr"), ("SCALING_FACTOR", 0.013),
            ("OFFSET", 0.0), ("MIN_FOR_STATISTICAL_EVALUATION", seq([0] * 5)),
            ("MAX_FOR_STATISTICAL_EVALUATION", seq([32767] * 5)),
            ("SCENE_MAXIMUM_DN", seq(x["max"] for x in stats)), ("SCENE_MINIMUM_DN", seq(x["min"] for x in stats)),
            ("SCENE_AVERAGE_DN", seq(x["mean"] for x in stats)), ("SCENE_STDEV_DN", seq(x["std"] for x in stats)),
            ("SCENE_MODE_DN", seq(x["mode"] for x in stats)), ("SHADOWED_AREA_MINIMUM", seq([0] * 5)),
            ("SHADOWED_AREA_MAXIMUM", seq([327] * 5)),
            ("SHADOWED_AREA_PERCENTAGE", seq(x["shadow_pct"] for x in stats)),
            ("INVALID_TYPE", seq(INVALID_TYPES)), ("INVALID_VALUE", seq(INVALID_CODES)),
            ("INVALID_PIXELS", seq(seq(x["invalid"]) for x in stats)),
            ("OUT_OF_IMAGE_BOUNDS_VALUE", OUT_OF_BOUNDS),
            ("OUT_OF_IMAGE_BOUNDS_PIXELS", seq(x["oob"] for x in stats)),
        ]
        dark = f"MIV_DRK_{s.calib}___002.csv"
        processing = [
            ("DARK_FILE_NAME", dark), ("FT_FILE_NAME", "MIV_FTF_PRFLT_N___v01.csv"),
            ("FLAT_FILE_NAME", f"MIV_FLT_{s.calib[:-2]}_N___002.csv"), ("EFFIC_FILE_NAME", "MIV_EFF_PRFLT_N___v01.csv"),
            ("NONLIN_FILE_NAME", "MIV_NLT_PRFLT_N___v01.csv"),
            ("RAD_CNV_COEF", seq(MV_RAD_CNV) + " <W/m**2/micron/sr>"), ("RESAMPLING_METHOD", "Bi-Linear"),
            ("L2A_DEAD_PIXEL_THRESHOLD", seq([35] * 5)), ("L2A_SATURATION_THRESHOLD", seq([1023] * 5)),
            ("DARK_VALID_MINIMUM", seq([-3] * 5)), ("FT_VALID_MINIMUM", -2),
            ("RADIANCE_SATURATION_THRESHOLD", "425.971 <W/m**2/micron/sr>"),
        ]
        return lf(isis_block(top + [("Object", "IMAGE", image), ("Object", "PROCESSING_PARAMETERS", processing)])
                  + ["END"])

    content, _ = attached(label, [data])
    path = f"DATA/MI_VIS/2B2/{s.date_dir}/"
    return {
        "files": {path + img_name: content},
        "index": dict(path=path, file=img_name, product_id=product_id, data_set_id="MI-VIS_Level2B",
                      instrument="MI-VIS", start=fmt_time(start), stop=fmt_time(stop), created=s.created),
        "summary": dict(product_id=product_id, corners=c),
    }


# ================================================================================== PDS3: Kaguya MI_MAP
MAP_FILTERS = ("MV1", "MV2", "MV3", "MV4", "MV5", "MN1", "MN2", "MN3", "MN4")
MAP_WAVELENGTHS = (414.0, 749.0, 901.0, 950.0, 1001.0, 1000.0, 1049.0, 1248.0, 1548.0)
MAP_BANDWIDTHS = (20.0, 12.0, 21.0, 30.0, 42.0, 27.0, 28.0, 33.0, 48.0)
MAP_RAD_CNV = (1.470593, 2.204781, 2.244315, 2.734361, 1.885889, 3.04924, 3.312096, 4.788256, 7.969085)
MAP_REF_CNV = (0.002353311, 0.002450451, 0.003549924, 0.003886012, 0.004316842, 0.004316842, 0.004893535,
               0.007400877, 0.01218292)
MAP_REFLECTANCE = (3050, 5540, 5960, 6080, 6450, 6400, 6740, 8050, 9480)


def mimap_product() -> dict:
    north, west, res, n = -15, 34, 32, 32          # tile S15E034S16E035 at 32 pixel/deg (a reduced tile)
    product_id = "MI_MAP_02_S15E034S16E035SC"
    last = (n - 1) / res                           # the last pixel's offset from the tile edge, deg
    img_name = product_id + ".img"
    created = "2011-11-02T13:17:45"
    y, x = np.mgrid[0:n, 0:n].astype(np.int64)
    variation = 900 + ((x * 5 + y * 3) % 23) * 8 + np.where((x - 21) ** 2 + (y - 10) ** 2 < 30, 140, 0)
    cube = np.stack([(variation * f) // 1000 for f in MAP_REFLECTANCE])
    invalid = [(5, 0, 0, -21000), (6, 0, 1, -21000), (8, 31, 31, -20000)]
    cube = place(cube, invalid)
    image_bytes = cube.astype(">i2").tobytes()
    stats = [dn_stats(cube[b], 327) for b in range(cube.shape[0])]
    altitude = (-2.875 + x * 0.0125 - y * 0.00625
                - np.where((x - 21) ** 2 + (y - 10) ** 2 < 30, 0.25, 0.0)).astype(">f4")
    alt_bytes = altitude.tobytes()
    l2a = ["MV52A0_02NM02517_004_0061.img", "MV52A0_02NM02518_004_0061.img", "MV52A0_02NM02517_004_0062.img",
           "{MV22A0_02NL01384_002_0063.img, MV22A0_02NL01384_002_0064.img}"]
    spice = ["RGC_INF_TCv401IK_MIv200IK_SPv105IK_RISE100i_05_LongCK_D_V02_de421_110706.mk"] * 3 + \
            ["RGC_INF_TCv401IK_MIv200IK_SPv105IK_RISE100i_04_LongCK_D_de421_101125.mk"]
    darks = ["{MIV_DRK_02269_02609_M___002.csv, MIN_DRK_02269_02609_M___002.csv}"] * 3 + \
            ["{MIN_DRK_01226_01571_L___002.csv, MIV_DRK_01226_01571_L___002.csv}"]
    flats = ["{MIV_FLT_02269_02609_N___002.csv, MIN_FLT_02269_02609_N___002.csv}"] * 3 + \
            ["{MIV_FLT_01226_01571_L___002.csv, MIN_FLT_01226_01571_L___002.csv}"]

    def label(pointers):
        top = [
            ("PDS_VERSION_ID", "PDS3"), ("RECORD_TYPE", "UNDEFINED"), ("FILE_NAME", img_name),
            ("PRODUCT_ID", product_id), ("DATA_FORMAT", "PDS"),
            ("^GEOMETRIC_DATA_ALTITUDE", f"{pointers[1]} <BYTES>"), ("^IMAGE", f"{pointers[0]} <BYTES>"),
            ("SOFTWARE_NAME", "RGC_TC_MI"), ("SOFTWARE_VERSION", "2.10.1"), ("PROCESS_VERSION_ID", "MAP"),
            ("PRODUCT_CREATION_TIME", created), ("PROGRAM_START_TIME", "2011-11-02T13:11:58"),
            ("PRODUCER_ID", "LISM"), ("PRODUCT_SET_ID", "MI_MAP"), ("PRODUCT_VERSION_ID", '"02"'),
            ("REGISTERED_PRODUCT", "Y"), ("LEVEL2A_FILE_NAME", seq(l2a)),
            ("SPICE_METAKERNEL_FILE_NAME", seq(spice)), ("MISSION_NAME", "SELENE"), ("SPACECRAFT_NAME", "SELENE-M"),
            ("DATA_SET_ID", "MI_MAP"), ("INSTRUMENT_NAME", '"Multiband Imager"'), ("INSTRUMENT_ID", "MI"),
            ("TARGET_NAME", "MOON"), ("OBSERVATION_MODE_ID", "NORMAL"),
            ("SENSOR_DESCRIPTION", MI_SENSOR_DESCRIPTION), ("SENSOR_DESCRIPTION2", MI_SENSOR_DESCRIPTION2),
            ("FILTER_NAME", seq(MAP_FILTERS)), ("CENTER_FILTER_WAVELENGTH", seq(MAP_WAVELENGTHS) + " <nm>"),
            ("BANDWIDTH", seq(MAP_BANDWIDTHS) + " <nm>"), ("BASE_BAND", "MV5"),
        ]
        geometry = [("BINNING_START_PIXEL_POSITION", "(1, 1)"), ("BINNING_INTERVAL", 1), ("LINES", n),
                    ("LINE_SAMPLES", n), ("SAMPLE_TYPE", "IEEE_REAL"), ("SAMPLE_BITS", 32), ("UNIT", "km")]
        image = [
            ("BANDS", 9), ("BAND_STORAGE_TYPE", '"BAND SEQUENTIAL"'), ("LINES", n), ("LINE_SAMPLES", n),
            ("SAMPLE_TYPE", "MSB_INTEGER"), ("SAMPLE_BITS", 16), ("IMAGE_VALUE_TYPE", "REFLECTANCE"), ("UNIT", "ND"),
            ("SCALING_FACTOR", "2e-05"), ("OFFSET", 0.0), ("MIN_FOR_STATISTICAL_EVALUATION", seq([0] * 9)),
            ("MAX_FOR_STATISTICAL_EVALUATION", seq([32767] * 9)),
            ("SCENE_MAXIMUM_DN", seq(x["max"] for x in stats)), ("SCENE_MINIMUM_DN", seq(x["min"] for x in stats)),
            ("SCENE_AVERAGE_DN", seq(x["mean"] for x in stats)), ("SCENE_STDEV_DN", seq(x["std"] for x in stats)),
            ("SCENE_MODE_DN", seq(x["mode"] for x in stats)), ("SHADOWED_AREA_MINIMUM", seq([0] * 9)),
            ("SHADOWED_AREA_MAXIMUM", seq([327] * 9)),
            ("SHADOWED_AREA_PERCENTAGE", seq(x["shadow_pct"] for x in stats)),
            ("INVALID_TYPE", seq(INVALID_TYPES)), ("INVALID_VALUE", seq(INVALID_CODES)),
            ("INVALID_PIXELS", seq(seq(x["invalid"]) for x in stats)), ("OUT_OF_IMAGE_BOUNDS_VALUE", OUT_OF_BOUNDS),
            ("OUT_OF_IMAGE_BOUNDS_PIXELS", seq(x["oob"] for x in stats)), ("STRETCHED_FLAG", "FALSE"),
        ]
        projection = [
            ("MAP_PROJECTION_TYPE", '"Simple Cylindrical"'), ("COORDINATE_SYSTEM_TYPE", '"BODY-FIXED ROTATING"'),
            ("COORDINATE_SYSTEM_NAME", "PLANETOCENTRIC"), ("A_AXIS_RADIUS", "1737.4 <km>"),
            ("B_AXIS_RADIUS", "1737.4 <km>"), ("C_AXIS_RADIUS", "1737.4 <km>"), ("FIRST_STANDARD_PARALLEL", "N/A"),
            ("SECOND_STANDARD_PARALLEL", "N/A"), ("POSITIVE_LONGITUDE_DIRECTION", "EAST"),
            ("CENTER_LATITUDE", "0.0 <deg>"), ("CENTER_LONGITUDE", "0.0 <deg>"), ("REFERENCE_LATITUDE", "N/A"),
            ("REFERENCE_LONGITUDE", "N/A"), ("LINE_FIRST_PIXEL", 1), ("LINE_LAST_PIXEL", n),
            ("SAMPLE_FIRST_PIXEL", 1), ("SAMPLE_LAST_PIXEL", n), ("MAP_PROJECTION_ROTATION", "0.0 <deg>"),
            ("MAP_RESOLUTION", f"{float(res)} <pixel/deg>"),
            ("MAP_SCALE", f"{round(math.pi * 1737.4 / 180 / res, 8)} <km/pixel>"),
            ("MAXIMUM_LATITUDE", f"{float(north)} <deg>"), ("MINIMUM_LATITUDE", f"{north - last} <deg>"),
            ("EASTERNMOST_LONGITUDE", f"{west + last} <deg>"), ("WESTERNMOST_LONGITUDE", f"{float(west)} <deg>"),
            ("LINE_PROJECTION_OFFSET", f"{float(north * res)} <pixel>"),
            ("SAMPLE_PROJECTION_OFFSET", f"{float(west * res)} <pixel>"),
        ]
        processing = [
            ("DARK_FILE_NAME", seq(darks)),
            ("FT_FILE_NAME", seq(["MIV_FTF_PRFLT_N___v01.csv"] * 4)),
            ("FLAT_FILE_NAME", seq(flats)),
            ("EFFIC_FILE_NAME", seq(["{MIN_EFF_PRFLT_N___v01.csv, MIV_EFF_PRFLT_N___v01.csv}"] * 4)),
            ("NONLIN_FILE_NAME", seq(["{MIV_NLT_PRFLT_N___v01.csv, MIN_NLT_PRFLT_N___v01.csv}"] * 4)),
            ("RAD_CNV_COEF", seq([seq(MAP_RAD_CNV)] * 4) + " <W/m**2/micron/sr>"),
            ("REF_CNV_COEF", seq(MAP_REF_CNV) + " <1/(W/m**2/micron/sr)>"),
            ("STANDARD_GEOMETRY", "(30.0, 0.0, 30.0)"), ("PHOTO_CORR_ID", '"LISM ORIGINAL"'),
            ("RESAMPLING_METHOD", "Bi-Linear"), ("TCO_MOSAIC_FILE_NAME", seq(["N/A"] * 4)),
            ("DTM_MOSAIC_FILE_NAME", seq(["N/A"] * 4)),
            ("OVERLAP_SELECTION_ID", '"Prioritized order : nominal mission period and phase angle closer to the '
                                     'standard geometry"'),
            ("MATCHING_MOSAIC", "N/A"), ("L2A_DEAD_PIXEL_THRESHOLD", seq([35] * 5 + [200] * 4)),
            ("L2A_SATURATION_THRESHOLD", seq([1023] * 5 + [4095] * 4)),
            ("DARK_VALID_MINIMUM", seq([-3] * 5 + [-10] * 4)), ("FT_VALID_MINIMUM", -2),
            ("RADIANCE_SATURATION_THRESHOLD", "425.971 <W/m**2/micron/sr>"),
            ("REF_SATURATION_THRESHOLD", "0.65534 <ND>"),
        ]
        return lf(isis_block(top + [("Object", "GEOMETRIC_DATA_ALTITUDE", geometry), ("Object", "IMAGE", image),
                                    ("Object", "IMAGE_MAP_PROJECTION", projection),
                                    ("Object", "PROCESSING_PARAMETERS", processing)]) + ["END"])

    content, _ = attached(label, [image_bytes, alt_bytes])
    path = "DATA/MI_MAP/LON034/"
    return {
        "files": {path + img_name: content},
        "index": dict(path=path, file=img_name, product_id=product_id, data_set_id="MI_MAP", instrument="MI",
                      start="N/A", stop="N/A", created=created),
        "summary": dict(product_id=product_id, bbox=(west, north - last, west + last, north)),
    }


# ============================================================================== PDS3: LROC NAC EDR (attached)
LROC_QUALITY_DESC = [
    '"The DATA_QUALITY_ID is set to an 8-bit',
    "   value that encodes the following data quality information for the",
    "   observation. For each bit  a value of 0 means FALSE and a value of 1 means",
    "   TRUE. More information about the data quality ID can be found in the LROC",
    "   EDR/CDR SIS, section 3.3 'Label and Header Descriptions'.",
    "       Bit 1: Temperature of focal plane array is out of bounds.",
    "       Bit 2: Threshold for saturated pixels is reached.",
    "       Bit 3: Threshold for under-saturated pixels is reached.",
    "       Bit 4: Observation is missing telemetry packets.",
    "       Bit 5: SPICE information is bad or missing.",
    "       Bit 6: Observation or housekeeping information is bad or missing.",
    "       Bit 7: Spare.",
    '       Bit 8: Spare."',
]


@dataclass
class LROCObs:
    start: str
    duration: float
    frame: str                 # LEFT / RIGHT
    phase: str
    rationale: str
    upload: str
    created: str
    version: str
    temps: tuple[float, float, float, float]
    temps_raw: tuple[int, int, int, int]
    exposure_ms: float
    exposure_code: int
    offsets: tuple[int, int]
    summing: int = 1
    quality: int = 0
    mission_name: bool = False          # the sample volume's EDR omits MISSION_NAME (see README)


def lroc_ids(o: LROCObs, kind: str) -> dict:
    start = parse_time(o.start)
    preroll = shift(start, -0.345)
    stop = shift(start, o.duration)
    p_s, p_t = lro_sclk(preroll)
    s_s, s_t = lro_sclk(start)
    e_s, e_t = lro_sclk(stop)
    suffix = {"EDR": "E", "CDR": "C"}[kind]
    product_id = f"M{p_s - LROC_ID_OFFSET}{o.frame[0]}{suffix}"
    return dict(start=start, stop=stop, preroll=preroll, product_id=product_id, orbit=lro_orbit(start),
                sclk_preroll=f"1/{p_s}:{p_t:05d}", sclk_start=f"1/{s_s}:{s_t:05d}", sclk_stop=f"1/{e_s}:{e_t:05d}",
                original=f"nac{o.frame[0].lower()}{(p_s * 7) % 0x100000:08x}")


def lroc_pds3_label(o: LROCObs, kind: str, record_bytes: int, label_records: int, lines: int, samples: int,
                    image_md5: str) -> bytes:
    ids = lroc_ids(o, kind)
    level = {"EDR": ("LRO-L-LROC-2-EDR-V1.0", 8, "LSB_INTEGER", '"RAW_INSTRUMENT_COUNT"'),
             "CDR": ("LRO-L-LROC-3-CDR-V1.0", 32, "PC_REAL", '"I/F"')}[kind]
    k = lambda key, value, indent=0: (" " * indent + key).ljust(35) + "= " + str(value)  # noqa: E731
    lines_ = [
        k("PDS_VERSION_ID", "PDS3"),
        "",
        "/*FILE CHARACTERISTICS*/",
        k("RECORD_TYPE", "FIXED_LENGTH"),
        k("RECORD_BYTES", record_bytes),
        k("FILE_RECORDS", label_records + lines * samples * level[1] // 8 // record_bytes),
        k("LABEL_RECORDS", label_records),
        k("^IMAGE", label_records + 1),
        "",
        "/*DATA IDENTIFICATION*/",
        k("DATA_SET_ID", f'"{level[0]}"'),
        k("ORIGINAL_PRODUCT_ID", ids["original"]),
        k("PRODUCT_ID", ids["product_id"]),
    ]
    if o.mission_name:
        lines_.append(k("MISSION_NAME", '"LUNAR RECONNAISSANCE ORBITER"'))
    lines_ += [
        k("MISSION_PHASE_NAME", f'"{o.phase}"'),
        k("INSTRUMENT_HOST_NAME", '"LUNAR RECONNAISSANCE ORBITER"'),
        k("INSTRUMENT_HOST_ID", "LRO"),
        k("INSTRUMENT_NAME", '"LUNAR RECONNAISSANCE ORBITER CAMERA"'),
        k("INSTRUMENT_ID", "LROC"),
        k("LRO:PREROLL_TIME", fmt_time(ids["preroll"], 3)),
        k("START_TIME", fmt_time(ids["start"], 3)),
        k("STOP_TIME", fmt_time(ids["stop"], 3)),
        k("LRO:SPACECRAFT_CLOCK_PREROLL_COUNT", f'"{ids["sclk_preroll"]}"'),
        k("SPACECRAFT_CLOCK_START_COUNT", f'"{ids["sclk_start"]}"'),
        k("SPACECRAFT_CLOCK_STOP_COUNT", f'"{ids["sclk_stop"]}"'),
        k("ORBIT_NUMBER", ids["orbit"]),
        k("PRODUCER_ID", "LRO_LROC_TEAM"),
        k("PRODUCT_CREATION_TIME", o.created),
        k("PRODUCER_INSTITUTION_NAME", '"ARIZONA STATE UNIVERSITY"'),
        k("PRODUCT_TYPE", kind),
        k("PRODUCT_VERSION_ID", f'"{o.version}"'),
        k("UPLOAD_ID", f'"{o.upload}"'),
        "",
        "/*DATA DESCRIPTION*/",
        k("TARGET_NAME", '"MOON"'),
        k("RATIONALE_DESC", f'"{o.rationale}"'),
        k("FRAME_ID", o.frame),
        k("DATA_QUALITY_ID", f'"{o.quality}"'),
        k("DATA_QUALITY_DESC", LROC_QUALITY_DESC[0]),
        *LROC_QUALITY_DESC[1:],
        "",
        "/*ENVIRONMENT*/",
        k("LRO:TEMPERATURE_SCS", f"{o.temps[0]:.2f} <degC>"),
        k("LRO:TEMPERATURE_FPA", f"{o.temps[1]:.2f} <degC>"),
        k("LRO:TEMPERATURE_FPGA", f"{o.temps[2]:.2f} <degC>"),
        k("LRO:TEMPERATURE_TELESCOPE", f"{o.temps[3]:.2f} <degC>"),
        k("LRO:TEMPERATURE_SCS_RAW", o.temps_raw[0]),
        k("LRO:TEMPERATURE_FPA_RAW", o.temps_raw[1]),
        k("LRO:TEMPERATURE_FPGA_RAW", o.temps_raw[2]),
        k("LRO:TEMPERATURE_TELESCOPE_RAW", o.temps_raw[3]),
        "",
        "/*IMAGING PARAMETERS*/",
        k("CROSSTRACK_SUMMING", o.summing),
        k("BANDWIDTH", "300 <nm>"),
        k("CENTER_FILTER_WAVELENGTH", "600 <nm>"),
        k("LINE_EXPOSURE_DURATION", f"{o.exposure_ms:.6f} <ms>"),
        k("LRO:LINE_EXPOSURE_CODE", o.exposure_code),
        k("LRO:DAC_RESET_LEVEL", 198),
        k("LRO:CHANNEL_A_OFFSET", o.offsets[0]),
        k("LRO:CHANNEL_B_OFFSET", o.offsets[1]),
        k("LRO:COMPAND_CODE", 0),
        k("LRO:LINE_CODE", 51),
        k("LRO:BTERM", "(0,8,25,59,128)"),
        k("LRO:MTERM", "(0.5,0.25,0.125,0.0625,0.03125)"),
        k("LRO:XTERM", "(0,32,136,543,2207)"),
        k("LRO:COMPRESSION_FLAG", 1),
        k("LRO:MODE", 7),
        "",
        "/*DATA OBJECT*/",
        k("OBJECT", "IMAGE"),
        k("LINES", lines, 4),
        k("LINE_SAMPLES", samples, 4),
        k("SAMPLE_BITS", level[1], 4),
        k("SAMPLE_TYPE", level[2], 4),
        k("UNIT", level[3], 4),
        k("MD5_CHECKSUM", f'"{image_md5}"', 4),
        k("END_OBJECT", "IMAGE"),
        "END",
    ]
    return crlf(lines_)


def lroc_image(lines: int, samples: int, kind: str, seed: int) -> np.ndarray:
    y, x = np.mgrid[0:lines, 0:samples].astype(np.int64)
    dn = 34 + (x * 150) // samples + 3 * y + ((x // 7 + y * 3 + seed) % 9) * 5
    dn = np.where((x - samples * 2 // 3) ** 2 + (y - lines // 2) ** 2 * 16 < (samples // 6) ** 2, dn - 30, dn)
    if kind == "EDR":
        return dn.astype(np.uint8)
    return (dn.astype(np.float64) / 1000.0).astype("<f4")       # calibrated I/F


def lroc_img_file(o: LROCObs, kind: str, lines: int, samples: int, record_bytes: int | None = None,
                  seed: int = 0) -> dict:
    """An attached-label LROC .IMG: PDS3 label in LABEL_RECORDS fixed-length records, then the image."""
    image = lroc_image(lines, samples, kind, seed)
    data = image.tobytes()
    record_bytes = record_bytes or samples * image.dtype.itemsize
    label_records = 1
    while True:
        text = lroc_pds3_label(o, kind, record_bytes, label_records, lines, samples, md5(data))
        need = -(-len(text) // record_bytes)
        if need <= label_records:
            break
        label_records = need
    header = pad_to(text, label_records * record_bytes)
    return dict(content=header + data, header_bytes=len(header), image=image, ids=lroc_ids(o, kind),
                label_records=label_records, record_bytes=record_bytes)


LROC_VOLUME_OBS = LROCObs(start="2010-04-03T09:14:27.316", duration=17.629, frame="LEFT", phase="NOMINAL MISSION",
                          rationale="LUNAR RECONNAISSANCE ORBITER CAMERA CALIBRATION", upload="SC_2010093_0000_A_V01.txt",
                          created="2010-07-14T19:02:41", version="v1.8", temps=(3.41, 17.12, -13.55, 9.84),
                          temps_raw=(2791, 2138, 3457, 2488), exposure_ms=0.3376, exposure_code=0, offsets=(42, 106))


def lroc_volume_product() -> dict:
    made = lroc_img_file(LROC_VOLUME_OBS, "EDR", lines=20, samples=5064, record_bytes=5064)
    assert made["label_records"] == 1, "the EDR label must fit in one record (^IMAGE = 2)"
    ids = made["ids"]
    img_name = ids["product_id"] + ".IMG"
    path = f"DATA/LROC/EDR/{ids['start'].strftime('%Y%j')}/NAC/"
    return {
        "files": {path + img_name: made["content"]},
        "index": dict(path=path, file=img_name, product_id=ids["product_id"], data_set_id="LRO-L-LROC-2-EDR-V1.0",
                      instrument="LROC", start=fmt_time(ids["start"], 3), stop=fmt_time(ids["stop"], 3),
                      created=LROC_VOLUME_OBS.created),
        "summary": dict(product_id=ids["product_id"]),
    }


# ==================================================================================== PDS3: volume files
INDEX_COLUMNS = [
    # name, type, key in index row, description
    ("VOLUME_ID", "CHARACTER", "volume", "Identifier of the volume containing the product."),
    ("PATH_NAME", "CHARACTER", "path", "Path of the directory containing the product label, relative to the "
                                       "volume root."),
    ("FILE_NAME", "CHARACTER", "file", "Name of the product label file (the image file itself when the label is "
                                       "attached)."),
    ("PRODUCT_ID", "CHARACTER", "product_id", "Product identifier (PRODUCT_ID in the label)."),
    ("DATA_SET_ID", "CHARACTER", "data_set_id", "Data set identifier (DATA_SET_ID in the label)."),
    ("INSTRUMENT_ID", "CHARACTER", "instrument", "Instrument identifier (INSTRUMENT_ID in the label)."),
    ("TARGET_NAME", "CHARACTER", "target", "Target of the observation."),
    ("START_TIME", "TIME", "start", "Observation start time (UTC) as in the label; N/A for map products."),
    ("STOP_TIME", "TIME", "stop", "Observation stop time (UTC) as in the label; N/A for map products."),
    ("PRODUCT_CREATION_TIME", "TIME", "created", "Time the product was created (UTC)."),
]


def index_files(rows: list[dict]) -> dict:
    for r in rows:
        r.setdefault("volume", VOLUME_ID)
        r.setdefault("target", "MOON")
    widths = {key: max(len(r[key]) for r in rows) for _, _, key, _ in INDEX_COLUMNS}
    cols, pos = [], 1
    for name, dtype, key, desc in INDEX_COLUMNS:
        quoted = dtype == "CHARACTER"
        start = pos + 1 if quoted else pos
        cols.append((name, dtype, key, desc, start, widths[key], quoted))
        pos += widths[key] + (2 if quoted else 0) + 1          # + the comma (the last: the CR of CR/LF)
    row_bytes = pos                                             # 1-based position after the CR = with the LF
    table_lines = []
    for r in rows:
        fields = [f'"{r[key].ljust(w)}"' if quoted else r[key].ljust(w) for _, _, key, _, _, w, quoted in cols]
        table_lines.append(",".join(fields))
    table = crlf(table_lines)
    assert all(len(line) + 2 == row_bytes for line in table_lines)

    data_sets = sorted({r["data_set_id"] for r in rows})
    k = odl
    label = [
        k("PDS_VERSION_ID", "PDS3"),
        k("RECORD_TYPE", "FIXED_LENGTH"),
        k("RECORD_BYTES", row_bytes),
        k("FILE_RECORDS", len(rows)),
        k("^INDEX_TABLE", '"INDEX.TAB"'),
        "",
        k("VOLUME_ID", f'"{VOLUME_ID}"'),
        k("DATA_SET_ID", "{" + ", ".join(f'"{d}"' for d in data_sets) + "}"),
        k("INSTRUMENT_HOST_NAME", '{"SELENE MAIN ORBITER", "LUNAR RECONNAISSANCE ORBITER"}'),
        k("TARGET_NAME", "MOON"),
        k("PRODUCT_CREATION_TIME", "2025-01-15T00:00:00"),
        k("NOTE", '"Index of all products on this volume, one row per product."'),
        "",
        k("OBJECT", "INDEX_TABLE"),
        k("INTERCHANGE_FORMAT", "ASCII", 2),
        k("ROWS", len(rows), 2),
        k("COLUMNS", len(cols), 2),
        k("ROW_BYTES", row_bytes, 2),
        k("INDEX_TYPE", "SINGLE", 2),
        k("DESCRIPTION", '"Each row describes one product of the volume. Character fields are enclosed in '
                         'double quotes, fields are separated by commas and each row ends with carriage-return/'
                         'line-feed. START_BYTE and BYTES give the position of the field contents without the '
                         'quotes."', 2),
    ]
    for number, (name, dtype, _key, desc, start, width, _quoted) in enumerate(cols, 1):
        label += [
            "",
            k("OBJECT", "COLUMN", 2),
            k("COLUMN_NUMBER", number, 4),
            k("NAME", name, 4),
            k("DATA_TYPE", dtype, 4),
            k("START_BYTE", start, 4),
            k("BYTES", width, 4),
            k("FORMAT", f'"A{width}"', 4),
        ]
        if dtype == "TIME":
            label.append(k("NOT_APPLICABLE_CONSTANT", '"N/A"', 4))
        label += [k("DESCRIPTION", f'"{desc}"', 4), k("END_OBJECT", "COLUMN", 2)]
    label += ["", k("END_OBJECT", "INDEX_TABLE"), "END"]
    return {"INDEX/INDEX.LBL": crlf(label), "INDEX/INDEX.TAB": table}


def voldesc(rows: list[dict]) -> bytes:
    data_sets = sorted({r["data_set_id"] for r in rows})
    k = odl
    lines = [
        k("PDS_VERSION_ID", "PDS3"),
        k("LABEL_REVISION_NOTE", '"2025-01-15, archive_fed sample volume, initial release"'),
        k("RECORD_TYPE", "STREAM"),
        "",
        k("OBJECT", "VOLUME"),
        k("VOLUME_SERIES_NAME", '"SELENE SCIENCE DATA"', 2),
        k("VOLUME_SET_NAME", '"ARCHIVE_FED LUNAR SAMPLE VOLUME SET"', 2),
        k("VOLUME_SET_ID", '"SLNSAMPLE_XXXX"', 2),
        k("VOLUMES", 1, 2),
        k("VOLUME_NAME", '"ARCHIVE_FED KAGUYA AND LRO SAMPLE VOLUME 1"', 2),
        k("VOLUME_ID", f'"{VOLUME_ID}"', 2),
        k("VOLUME_VERSION_ID", '"VERSION 1"', 2),
        k("VOLUME_FORMAT", '"ONLINE"', 2),
        k("MEDIUM_TYPE", '"ONLINE"', 2),
        k("PUBLICATION_DATE", "2025-01-15", 2),
        k("DATA_SET_ID", "{" + ", ".join(f'"{d}"' for d in data_sets) + "}", 2),
        k("DESCRIPTION", '"This volume is the sample archive embedded in the archive_fed package. It holds '
                         'a few small SELENE (Kaguya) Terrain Camera, Multiband Imager and MI map products and one '
                         'LRO LROC NAC EDR, organised like the JAXA DARTS and PDS Imaging Node volumes. The '
                         'products are synthetic: their labels follow the real dialects, their pixels are '
                         'generated."', 2),
        "",
        k("OBJECT", "DATA_PRODUCER", 2),
        k("INSTITUTION_NAME", '"ARCHIVE_FED DEVELOPERS"', 4),
        k("FACILITY_NAME", '"ARCHIVE_FED SAMPLE GENERATOR"', 4),
        k("FULL_NAME", '"ARCHIVE_FED DEVELOPERS"', 4),
        k("DISCIPLINE_NAME", '"IMAGING"', 4),
        k("ADDRESS_TEXT", '"https://example.invalid/archive_fed"', 4),
        k("END_OBJECT", "DATA_PRODUCER", 2),
        "",
        k("OBJECT", "DIRECTORY", 2),
        k("NAME", "INDEX", 4),
        k("OBJECT", "FILE", 4),
        k("FILE_NAME", '"INDEX.LBL"', 6),
        k("END_OBJECT", "FILE", 4),
        k("OBJECT", "FILE", 4),
        k("FILE_NAME", '"INDEX.TAB"', 6),
        k("END_OBJECT", "FILE", 4),
        k("END_OBJECT", "DIRECTORY", 2),
        k("END_OBJECT", "VOLUME"),
        "END",
    ]
    return crlf(lines)


def aareadme(rows: list[dict]) -> bytes:
    k = lambda key, value, indent=0: (" " * indent + key).ljust(24) + "= " + str(value)  # noqa: E731
    lines = [
        k("PDS_VERSION_ID", "PDS3"),
        k("RECORD_TYPE", "STREAM"),
        k("OBJECT", "TEXT"),
        k("PUBLICATION_DATE", "2025-01-15", 2),
        k("NOTE", f'"Introduction to the {VOLUME_ID} volume"', 2),
        k("END_OBJECT", "TEXT"),
        "END",
        "",
        f"{VOLUME_ID} -- ARCHIVE_FED LUNAR SAMPLE VOLUME",
        "=" * 47,
        "",
        "This volume is a miniature PDS3 archive volume shipped inside the archive_fed",
        "package. It is organised like the SELENE (Kaguya) volumes of JAXA's DARTS",
        "archive and the LROC volumes of the PDS Imaging Node, and is what the",
        "'archive-fed demo' command harvests.",
        "",
        "The products are synthetic. Their labels are written in the dialects of the",
        "real archives (keywords, units, alignment, line ends); their images are",
        "small generated arrays (a gradient, a crater, a few invalid pixels). The",
        "footprints and times are plausible for the named orbits but invented.",
        "",
        "Volume contents",
        "---------------",
        "",
        "AAREADME.TXT        This file.",
        "VOLDESC.CAT         Description of the volume (PDS3 VOLUME object).",
        "INDEX/INDEX.LBL     Label of the product index table.",
        "INDEX/INDEX.TAB     Product index: one row per product (fixed-width ASCII).",
        "DATA/TC/2B0/        Terrain Camera 1 Level 2B0 radiance images",
        "                    (detached .lbl labels, image in .img).",
        "DATA/MI_VIS/2B2/    Multiband Imager visible Level 2B2 radiance cubes",
        "                    (label attached at the start of the .img file).",
        "DATA/MI_MAP/        Multiband Imager reflectance map tile with altitude",
        "                    (attached label).",
        "DATA/LROC/EDR/      One LRO LROC NAC EDR (attached label, fixed-length records).",
        "",
        f"The volume holds {len(rows)} products.",
    ]
    return crlf(lines)


# ============================================================================ PDS4: Chang'e-4 LPR (GRAS dialect)
CE4_EPOCH = datetime(2009, 12, 31, 16, 0, 0)      # the GRAS TIME field counts from 2009-12-31T16:00:00 UTC


@dataclass
class CE4Product:
    channel: str                   # "2B" or "1"
    window: tuple[str, str]        # the name's start/stop, YYYYMMDDhhmmss
    sequence: str
    start: str                     # first record time (UTC, ms)
    stop: str
    records: int
    position: tuple[float, float]  # longitude, latitude (deg)
    rover_xyz: tuple[float, float, float]
    reference_xyz: tuple[float, float, float]
    created: str
    seed: int


CE4_PRODUCTS = [
    CE4Product(channel="2B", window=("20190110063001", "20190111052000"), sequence="0007",
               start="2019-01-10T06:31:12.447", stop="2019-01-10T06:39:58.102", records=12,
               position=(177.599034, -45.444690), rover_xyz=(0.412, -1.036, 0.004),
               reference_xyz=(-8.214, 11.307, -0.203), created="2019-01-16T03:12:00.000", seed=3),
    CE4Product(channel="1", window=("20200417084001", "20200418070000"), sequence="0161",
               start="2020-04-17T08:41:37.915", stop="2020-04-17T08:52:05.630", records=4,
               position=(177.588213, -45.441874), rover_xyz=(3.905, -6.420, 0.031),
               reference_xyz=(-271.552, 305.118, -2.617), created="2020-04-23T07:45:00.000", seed=5),
    CE4Product(channel="2B", window=("20221105073001", "20221106063000"), sequence="0282",
               start="2022-11-05T07:33:20.061", stop="2022-11-05T07:44:51.884", records=8,
               position=(177.584561, -45.439507), rover_xyz=(1.227, -2.954, -0.012),
               reference_xyz=(-402.906, 463.771, -4.085), created="2022-11-11T08:21:00.000", seed=11),
]


def ce4_layout(p: CE4Product) -> dict:
    echoes = 2048 if p.channel == "2B" else 8192
    return dict(echoes=echoes, record_length=114 + 4 * echoes + 1,
                interval="0.312500" if p.channel == "2B" else "2.500000",
                frequency=("500", "450", "30") if p.channel == "2B" else ("60", "40", "/"),
                frame_id=bytes.fromhex("146F2222" if p.channel == "2B" else "146F1111"),
                mark=0x2B if p.channel == "2B" else 0x11)


def ce4_name(p: CE4Product) -> str:
    return f"CE4_GRAS_LPR-{p.channel}_SCI_N_{p.window[0]}_{p.window[1]}_{p.sequence}_A.2B"


def ce4_data(p: CE4Product) -> bytes:
    lay = ce4_layout(p)
    n = lay["echoes"]
    start, stop = parse_time(p.start), parse_time(p.stop)
    span_ms = (stop - start) // timedelta(milliseconds=1)
    i = np.arange(n, dtype=np.float64)
    records = []
    for r in range(p.records):
        t = start + timedelta(milliseconds=span_ms * r // max(p.records - 1, 1))
        elapsed = t - CE4_EPOCH
        seconds = elapsed.days * 86400 + elapsed.seconds
        ms = elapsed.microseconds // 1000
        x, y, z = p.rover_xyz
        rx, ry, rz = p.reference_xyz
        head = lay["frame_id"] + struct.pack(">IH", seconds, ms)
        head += struct.pack(">13f", 0.055 if 0 < r < p.records - 1 else 0.0,
                            x + 0.0625 * r, y - 0.03125 * r, z, 1.25 + 0.125 * (r % 3), -0.75, 132.5 + 0.25 * r,
                            rx, ry, rz, 0.5, -0.25, 141.0)
        head += bytes((p.seed * 17 + j * 29) % 256 for j in range(11))               # DataParameter1
        head += bytes((0xFF, 0xFF, 0x1E + p.seed, 0x0F, 0x24, 0x2A))               # mode and gains
        head += bytes((p.seed + j * 3) % 7 for j in range(28))                      # DataParameter2
        head += struct.pack("<HHH", n, 1 + r + p.seed * 100, 1 + r + p.seed * 100)
        head += bytes((lay["mark"],))
        # a synthetic trace: a direct wave, two reflectors drifting with the record, decaying clutter
        clutter = ((i * 7919 + r * 104729 + p.seed * 31) % 2001 - 1000) / 1000.0 * 40.0 / (1.0 + i / 256.0)
        trace = clutter
        for centre, width, amp in ((40.0, 12.0, 3000.0), (n * 0.23 + r * 2.0, 20.0, 420.0),
                                   (n * 0.58 - r * 3.0, 28.0, 150.0)):
            trace = trace + np.where(np.abs(i - centre) < width, amp * (1.0 - np.abs(i - centre) / width), 0.0)
        body = trace.astype("<f4").tobytes()
        record = head + body + bytes((0,))
        assert len(record) == lay["record_length"]
        records.append(record)
    return b"".join(records)


CE4_FIELDS = [
    # name, type, length, format, unit, description ({frame} is replaced)
    ("FRAME_IDENTIFICATION", "UnsignedByte", 4, "None", "none", "Frame Identifier, {frame}"),
    ("TIME", "UnsignedByte", 6, "None", "none", "UTC time, the first four bytes represent seconds, the last two "
     "bytes represent milliseconds, basing on 2009-12-31-16-00-00-000"),
    ("VELOCITY", "IEEE754MSBSingle", 4, "F.6", "m/s", "Velocity"),
    ("XPOSITION", "IEEE754MSBSingle", 4, "F.6", "m", "The xposition,yposition and zposition of Rover are based on "
     "Reference Point Coordinate System, with coordinate center {centre} the reference ponit. The x axis points to "
     "north and the y axis points to east and the z axis points to the lunar core."),
    ("YPOSITION", "IEEE754MSBSingle", 4, "F.6", "m", "The yposition of Rover."),
    ("ZPOSITION", "IEEE754MSBSingle", 4, "F.6", "m", "The zposition of Rover."),
    ("ATT_PITCHING", "IEEE754MSBSingle", 4, "F.6", "deg", "The pitch angle, roll angle and yaw angle of Rover are "
     "based on Reference Point Coordinate System, with coordinate center {centre} the reference ponit. The x axis "
     "points to north and the y axis points to east and the z axis points to the lunar core."),
    ("ATT_ROLLING", "IEEE754MSBSingle", 4, "F.6", "deg", "The roll angle of Rover."),
    ("ATT_YAWING", "IEEE754MSBSingle", 4, "F.6", "deg", "The yaw angle of Rover."),
    ("REFERENCE_POINT_XPOSITION", "IEEE754MSBSingle", 4, "F.6", "m", "The xposition, yposition and zposition of "
     "reference ponit are based on Landing-site Regional Coordinate System, with coordinate center {centre} CE4 "
     "Lander. The x axis points to east and the y axis points to north and the z axis points to zenith."),
    ("REFERENCE_POINT_YPOSITION", "IEEE754MSBSingle", 4, "F.6", "m", "The yposition of reference ponit."),
    ("REFERENCE_POINT_ZPOSITION", "IEEE754MSBSingle", 4, "F.6", "m", "The zposition of reference ponit."),
    ("REFERENCE_POINT_ATT_PITCHING", "IEEE754MSBSingle", 4, "F.6", "deg", "The pitch angle, roll angle and yaw "
     "angle of Rover in reference ponit are based on Landing-site Regional Coordinate System, with coordinate "
     "center {centre} CE4 Lander. The x axis points to east and the y axis points to north and the z axis points "
     "to zenith."),
    ("REFERENCE_POINT_ATT_ROLLING", "IEEE754MSBSingle", 4, "F.6", "deg", "The roll angle of Rover in reference "
     "ponit."),
    ("REFERENCE_POINT_ATT_YAWING", "IEEE754MSBSingle", 4, "F.6", "deg", "The yaw angle of Rover in reference "
     "ponit."),
    ("DataParameter1", "UnsignedByte", 11, "None", "none", "DataParameter1"),
    ("RADAR_WORKING_MODE", "UnsignedByte", 1, "None", "none", "0x00: standby, 0x0f: only Channel 1 works, 0xf0: "
     "only Channel 2 works, 0xff: Channel 1 and Channel 2 work."),
    ("RADAR_CHANNEL_1_GAIN_MODE", "UnsignedByte", 1, "None", "none", "0x00: variational gain, 0xff: fixed gain."),
    ("RADAR_CHANNEL_1_GAIN_VALUE", "UnsignedByte", 1, "None", "none", "convert to decimalism."),
    ("RADAR_CHANNEL_2_GAIN_MODE", "UnsignedByte", 1, "None", "none", "0x00: Antenna A variational gain, Antenna B "
     "variational gain. 0x0f: Antenna A variational gain, Antenna B fixed gain. 0xf0: Antenna A fixed gain, "
     "Antenna B variational gain. 0xff: Antenna A fixed gain, Antenna B fixed gain."),
    ("RADAR_CHANNEL_2_GAIN_VALUE_1", "UnsignedByte", 1, "None", "none", "convert to decimalism."),
    ("RADAR_CHANNEL_2_GAIN_VALUE_2", "UnsignedByte", 1, "None", "none", "convert to decimalism."),
    ("DataParameter2", "UnsignedByte", 28, "None", "none", "DataParameter2"),
    ("VALID_DATA_LENGTH", "UnsignedLSB2", 2, "None", "none", "Length of channel 1 valid data within a data record."),
    ("CHANNEL_1_RECORD_COUNT", "UnsignedLSB2", 2, "None", "none", "The sequence number of channel 1 data records "
     "(or time windows)."),
    ("CHANNEL_2_RECORD_COUNT", "UnsignedLSB2", 2, "None", "none", "The sequence number of channel 2 data records "
     "(or time windows)."),
    ("CHANNEL_AND_ANTENNA_MARK", "UnsignedByte", 1, "None", "none", "11: Channel 1. 2A: Channel 2 antenna A. 2B: "
     "Channel 2 antenna B."),
]


def ce4_label(p: CE4Product, data: bytes) -> bytes:
    lay = ce4_layout(p)
    name = ce4_name(p)
    frame = "0x146F2222: Channel 2 data" if p.channel == "2B" else "0x146F1111: Channel 1 data"
    centre = "is" if p.channel == "2B" else "representing"
    lon, lat = p.position
    t = "\t"
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<Product_Observational xmlns="http://pds.nasa.gov/pds4/pds/v1" xmlns:pds="http://pds.nasa.gov/pds4/pds/v1" '
        'xmlns:sp="http://pds.nasa.gov/pds4/sp/v1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://pds.nasa.gov/pds4/pds/v1,https://starbase.jpl.nasa.gov/pds4/1500/'
        'dph_example_products/xml_schema/PDS4_PDS_1500.xsd,http://pds.nasa.gov/pds4/sp/v1 PDS4_SP_1001.xsd">',
        f"{t}<Identification_Area>",
        f"{t*2}<logical_identifier>{name}</logical_identifier>",
        f"{t*2}<version_id>1.0</version_id>",
        f"{t*2}<title>Chang'E 4(CE-4) mission</title>",
        f"{t*2}<information_model_version>1.5.0.0</information_model_version>",
        f"{t*2}<product_class>Product_Observational</product_class>",
        f"{t*2}<Modification_History>",
        f"{t*3}<Modification_Detail>",
        f"{t*4}<modification_date>2019-01-03</modification_date>",
        f"{t*4}<version_id>1.0</version_id>",
        f"{t*4}<description>None</description>",
        f"{t*3}</Modification_Detail>",
        f"{t*2}</Modification_History>",
        f"{t}</Identification_Area>",
        f"{t}<Reference_List>None</Reference_List>",
        f"{t}<Observation_Area>",
        f"{t*2}<Time_Coordinates>",
        f"{t*3}<start_date_time>{p.start}Z</start_date_time>",
        f"{t*3}<stop_date_time>{p.stop}Z</stop_date_time>",
        f"{t*2}</Time_Coordinates>",
        f"{t*2}<Primary_Result_Summary>",
        f"{t*3}<purpose>Science</purpose>",
        f"{t*3}<processing_level>Calibrated</processing_level>",
        f"{t*3}<Science_Facets>",
        f"{t*4}<wavelength_range>Microwave</wavelength_range>",
        f"{t*4}<domain>Surface</domain>",
        f"{t*3}</Science_Facets>",
        f"{t*2}</Primary_Result_Summary>",
        f"{t*2}<Investigation_Area>",
        f"{t*3}<name>CE4</name>",
        f"{t*3}<type>Mission</type>",
        f"{t*2}</Investigation_Area>",
        f"{t*2}<Observing_System>",
        f"{t*3}<name>Observing System for CE4Ro</name>",
        f"{t*3}<Observing_System_Component>",
        f"{t*4}<name>CE4Ro</name>",
        f"{t*4}<type>Spacecraft</type>",
        f"{t*3}</Observing_System_Component>",
        f"{t*2}</Observing_System>",
        f"{t*2}<Target_Identification>",
        f"{t*3}<name>Lunar</name>",
        f"{t*3}<type>Satellite</type>",
        f"{t*2}</Target_Identification>",
        f"{t*2}<Mission_Area>",
        f"{t*3}<product_id>{name}</product_id>",
        f"{t*3}<product_version>A</product_version>",
        f"{t*3}<product_level>2B</product_level>",
        f"{t*3}<instrument_name>Lunar Penetrating Radar</instrument_name>",
        f"{t*3}<instrument_id>LPR</instrument_id>",
        f"{t*3}<sequence_id>{p.sequence}</sequence_id>",
        f"{t*3}<Work_Mode_Parm>",
        f'{t*4}<sampling_interval unit="ns">{lay["interval"]}</sampling_interval>',
        f"{t*3}</Work_Mode_Parm>",
        f"{t*3}<Instrument_Parm>",
        f'{t*4}<central_frequency unit="MHz">{lay["frequency"][0]}</central_frequency>',
        f'{t*4}<working_bandwidth unit="MHz">{lay["frequency"][1]}</working_bandwidth>',
        f'{t*4}<antenna_height unit="cm">{lay["frequency"][2]}</antenna_height>',
        f"{t*3}</Instrument_Parm>",
        f"{t*3}<Lander_Location>",
        f"{t*4}<reference_frame>MOON_COORDINATE_SYSTEM</reference_frame>",
        f'{t*4}<longitude unit="deg">{lon:.6f}</longitude>',
        f'{t*4}<latitude unit="deg">{lat:.6f}</latitude>',
        f"{t*3}</Lander_Location>",
        f"{t*2}</Mission_Area>",
        f"{t}</Observation_Area>",
        f"{t}<File_Area_Observational>",
        f"{t*2}<File>",
        f"{t*3}<file_name>{name}</file_name>",
        f"{t*3}<local_identifier>None</local_identifier>",
        f"{t*3}<creation_date_time>{p.created}Z</creation_date_time>",
        f'{t*3}<file_size unit="byte">{len(data)}</file_size>',
        f"{t*3}<records>{p.records}</records>",
        f"{t*2}</File>",
        f"{t*2}<Table_Binary>",
        f'{t*3}<offset unit="byte">0</offset>',
        f"{t*3}<records>{p.records}</records>",
        f"{t*3}<Record_Binary>",
        f"{t*4}<fields>{len(CE4_FIELDS) + 1}</fields>",
        f"{t*4}<groups>1</groups>",
        f'{t*4}<record_length unit="byte">{lay["record_length"]}</record_length>',
    ]

    def field_binary(level: int, number: int, location: int, fname: str, dtype: str, length: int, fmt: str,
                     unit: str, desc: str) -> list[str]:
        i = t * level
        desc_line = f"{i}{t}<description />" if not desc else f"{i}{t}<description>{desc}</description>"
        return [f"{i}<Field_Binary>", f"{i}{t}<name>{fname}</name>", f"{i}{t}<field_number>{number}</field_number>",
                f'{i}{t}<field_location unit="byte">{location}</field_location>',
                f"{i}{t}<data_type>{dtype}</data_type>", f'{i}{t}<field_length unit="byte">{length}</field_length>',
                f"{i}{t}<field_format>{fmt}</field_format>", f"{i}{t}<unit>{unit}</unit>", desc_line,
                f"{i}</Field_Binary>"]

    location = 1
    for number, (fname, dtype, length, fmt, unit, desc) in enumerate(CE4_FIELDS, 1):
        out += field_binary(4, number, location, fname, dtype, length, fmt, unit,
                            desc.format(frame=frame, centre=centre))
        location += length
    n = lay["echoes"]
    sampling = "0.3125ns" if p.channel == "2B" else "2.5ns"
    out += [
        f"{t*4}<Group_Field_Binary>",
        f"{t*5}<name>ECHO_DATA</name>",
        f"{t*5}<group_number>1</group_number>",
        f"{t*5}<repetitions>{n}</repetitions>",
        f"{t*5}<fields>1</fields>",
        f"{t*5}<groups>0</groups>",
        f'{t*5}<group_location unit="byte">{location}</group_location>',
        f'{t*5}<group_length unit="byte">{4 * n}</group_length>',
        *field_binary(5, 1, 1, "ECHO_DATA", "IEEE754LSBSingle", 4, "F.6", "none",
                      f"There are {n} echoes, with a sample interval of {sampling}."),
        f"{t*4}</Group_Field_Binary>",
    ]
    location += 4 * n
    out += field_binary(4, len(CE4_FIELDS) + 1, location, "QUALITY_STATE", "UnsignedByte", 1, "None", "none", "")
    assert location == lay["record_length"]
    out += [f"{t*3}</Record_Binary>", f"{t*2}</Table_Binary>", f"{t}</File_Area_Observational>",
            "</Product_Observational>"]
    return ("\n".join(out) + "\n").encode("utf-8")


# ======================================================================= PDS4: shared XML pieces (NASA style)
IM_VERSION = "1.20.0.0"
SCHEMA_PDS = "https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1K00.xsd"


def xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def internal_reference(indent: str, lid: str, ref_type: str, comment: str | None = None) -> list[str]:
    lines = [f"{indent}<Internal_Reference>", f"{indent}  <lid_reference>{lid}</lid_reference>",
             f"{indent}  <reference_type>{ref_type}</reference_type>"]
    if comment:
        lines.append(f"{indent}  <comment>{comment}</comment>")
    return lines + [f"{indent}</Internal_Reference>"]


def bounding_coordinates(indent: str, west: float, east: float, north: float, south: float,
                         image_id: str) -> list[str]:
    i = indent
    return [
        f"{i}<Discipline_Area>",
        f"{i}  <cart:Cartography>",
        f"{i}    <Local_Internal_Reference>",
        f"{i}      <local_identifier_reference>{image_id}</local_identifier_reference>",
        f"{i}      <local_reference_type>cartography_parameters_to_image_object</local_reference_type>",
        f"{i}    </Local_Internal_Reference>",
        f"{i}    <cart:Spatial_Domain>",
        f"{i}      <cart:Bounding_Coordinates>",
        f'{i}        <cart:west_bounding_coordinate unit="deg">{west}</cart:west_bounding_coordinate>',
        f'{i}        <cart:east_bounding_coordinate unit="deg">{east}</cart:east_bounding_coordinate>',
        f'{i}        <cart:north_bounding_coordinate unit="deg">{north}</cart:north_bounding_coordinate>',
        f'{i}        <cart:south_bounding_coordinate unit="deg">{south}</cart:south_bounding_coordinate>',
        f"{i}      </cart:Bounding_Coordinates>",
        f"{i}    </cart:Spatial_Domain>",
        f"{i}  </cart:Cartography>",
        f"{i}</Discipline_Area>",
    ]


def array_2d(indent: str, local_id: str, offset: int, dtype: str, lines: int, samples: int,
             extra: list[str] = (), constants: list[str] = ()) -> list[str]:
    i = indent
    out = [
        f"{i}<Array_2D_Image>",
        f"{i}  <local_identifier>{local_id}</local_identifier>",
        f'{i}  <offset unit="byte">{offset}</offset>',
        f"{i}  <axes>2</axes>",
        f"{i}  <axis_index_order>Last Index Fastest</axis_index_order>",
        f"{i}  <Element_Array>",
        f"{i}    <data_type>{dtype}</data_type>",
        *[f"{i}    {e}" for e in extra],
        f"{i}  </Element_Array>",
        f"{i}  <Axis_Array>",
        f"{i}    <axis_name>Line</axis_name>",
        f"{i}    <elements>{lines}</elements>",
        f"{i}    <sequence_number>1</sequence_number>",
        f"{i}  </Axis_Array>",
        f"{i}  <Axis_Array>",
        f"{i}    <axis_name>Sample</axis_name>",
        f"{i}    <elements>{samples}</elements>",
        f"{i}    <sequence_number>2</sequence_number>",
        f"{i}  </Axis_Array>",
    ]
    if constants:
        out += [f"{i}  <Special_Constants>", *[f"{i}    {c}" for c in constants], f"{i}  </Special_Constants>"]
    return out + [f"{i}</Array_2D_Image>"]


# ===================================================================== PDS4: LRO LROC migration labels
@dataclass
class LROCPds4:
    obs: LROCObs
    kind: str                                      # EDR / CDR
    lines: int
    samples: int
    bbox: tuple[float, float, float, float]        # west, east, north, south
    seed: int
    label_date: str


LROC_PDS4 = [
    LROCPds4(obs=LROCObs(start="2011-05-14T07:33:12.517", duration=24.318, frame="LEFT", phase="SCIENCE MISSION",
                         rationale="APOLLO 15 LANDING SITE", upload="SC_2011134_0000_A_V01.txt",
                         created="2011-06-02T22:41:09", version="v1.9", temps=(2.97, 16.45, -11.83, 7.52),
                         temps_raw=(2812, 2174, 3391, 2602), exposure_ms=0.4312, exposure_code=9, offsets=(41, 105),
                         mission_name=True),
             kind="CDR", lines=40, samples=64, bbox=(3.5817, 3.6934, 26.2541, 25.9873), seed=1,
             label_date="2024-03-18"),
    LROCPds4(obs=LROCObs(start="2010-09-24T17:06:48.902", duration=21.774, frame="RIGHT", phase="NOMINAL MISSION",
                         rationale="REINER GAMMA SWIRL", upload="SC_2010267_0000_B_V02.txt",
                         created="2010-12-03T01:19:56", version="v1.8", temps=(3.12, 18.04, -12.66, 10.31),
                         temps_raw=(2797, 2101, 3422, 2455), exposure_ms=0.8256, exposure_code=61, offsets=(38, 101),
                         mission_name=True),
             kind="EDR", lines=40, samples=64, bbox=(301.0112, 301.1495, 7.5621, 7.2208), seed=4,
             label_date="2024-03-18"),
]

LROC_DESCRIPTION = """        The Lunar Reconnaissance Orbiter Camera (LROC) Wide Angle Camera (WAC) and Narrow Angle Cameras
        (NACs) are on the NASA Lunar Reconnaissance Orbiter (LRO). The WAC is a 7-color push-frame camera (100
        and 400 m/pixel visible and UV, respectively), while the two NACs are monochrome narrow-angle linescan
        imagers (0.5 m/pixel). The primary mission of LRO is to obtain measurements of the Moon that will enable
        future lunar human exploration."""

LROC_QUALITY_TEXT = """            The DATA_QUALITY_ID is set to an 8-bit value that encodes the following data quality information
            for the observation. For each bit  a value of 0 means FALSE and a value of 1 means TRUE. More
            information about the data quality ID can be found in the LROC EDR/CDR SIS, section 3.3 'Label
            and Header Descriptions'. Bit 1: Temperature of focal plane array is out of bounds. Bit 2:
            Threshold for saturated pixels is reached. Bit 3: Threshold for under-saturated pixels is
            reached. Bit 4: Observation is missing telemetry packets. Bit 5: SPICE information is bad or
            missing. Bit 6: Observation or housekeeping information is bad or missing. Bit 7: Spare.
            Bit 8: Spare."""


def lroc_pds4_product(p: LROCPds4) -> dict:
    made = lroc_img_file(p.obs, p.kind, p.lines, p.samples, seed=p.seed)
    ids = made["ids"]
    pid = ids["product_id"]
    img_name = pid + ".IMG"
    content = made["content"]
    o = p.obs
    lid = f"{BUNDLE_LID}:lro_lroc:{pid.lower()}"
    level = {"EDR": ("Raw", "UnsignedByte", "Raw"), "CDR": ("Calibrated", "IEEE754LSBSingle", "I/F")}[p.kind]
    west, east, north, south = p.bbox
    mission_params = [
        f"        <lro:product_type>{p.kind}</lro:product_type>",
        f"        <lro:product_version_id>{o.version}</lro:product_version_id>",
        f"        <lro:orbit_number>{ids['orbit']}</lro:orbit_number>",
        f"        <lro:mission_phase_name>{o.phase}</lro:mission_phase_name>",
        f"        <lro:spacecraft_clock_start_count>{ids['sclk_start']}</lro:spacecraft_clock_start_count>",
        f"        <lro:spacecraft_clock_stop_count>{ids['sclk_stop']}</lro:spacecraft_clock_stop_count>",
        "        <lro:producer_institution_name>Arizona State University</lro:producer_institution_name>",
        "        <lro:LROC_Parameters>",
        "          <!-- Parameters specific to LROC -->",
        f"          <lro:upload_id>{o.upload}</lro:upload_id>",
        f"          <lro:rationale_desc>{o.rationale}</lro:rationale_desc>",
        f"          <lro:data_quality_id>{o.quality}</lro:data_quality_id>",
        "          <lro:data_quality_desc>",
        LROC_QUALITY_TEXT,
        "          </lro:data_quality_desc>",
        "          <!-- NAC specific attributes -->",
        f"          <lro:preroll_time>{fmt_time(ids['preroll'], 6, 'Z')}</lro:preroll_time>",
        f"          <lro:spacecraft_clock_preroll_count>{ids['sclk_preroll']}</lro:spacecraft_clock_preroll_count>",
        f"          <lro:frame_id>{o.frame}</lro:frame_id>",
        "          <!-- NAC environment attributes -->",
        f'          <lro:temperature_scs unit="degC">{o.temps[0]}</lro:temperature_scs>',
        f'          <lro:temperature_fpa unit="degC">{o.temps[1]}</lro:temperature_fpa>',
        f'          <lro:temperature_fpga unit="degC">{o.temps[2]}</lro:temperature_fpga>',
        f'          <lro:temperature_telescope unit="degC">{o.temps[3]}</lro:temperature_telescope>',
        f"          <lro:temperature_scs_raw>{o.temps_raw[0]}</lro:temperature_scs_raw>",
        f"          <lro:temperature_fpa_raw>{o.temps_raw[1]}</lro:temperature_fpa_raw>",
        f"          <lro:temperature_fpga_raw>{o.temps_raw[2]}</lro:temperature_fpga_raw>",
        f"          <lro:temperature_telescope_raw>{o.temps_raw[3]}</lro:temperature_telescope_raw>",
        "          <!-- NAC imaging attributes -->",
        f'          <lro:line_exposure_duration unit="ms">{o.exposure_ms}</lro:line_exposure_duration>',
        f"          <lro:line_exposure_code>{o.exposure_code}</lro:line_exposure_code>",
        "          <lro:dac_reset_level>198</lro:dac_reset_level>",
        f"          <lro:channel_a_offset>{o.offsets[0]}</lro:channel_a_offset>",
        f"          <lro:channel_b_offset>{o.offsets[1]}</lro:channel_b_offset>",
        "          <lro:compand_code>0</lro:compand_code>",
        "          <lro:line_code>51</lro:line_code>",
    ]
    for name, values in (("bterm", (0, 8, 25, 59, 128)), ("mterm", (0.5, 0.25, 0.125, 0.0625, 0.03125)),
                         ("xterm", (0, 32, 136, 543, 2207))):
        mission_params += [f"          <lro:{name}{n}>{v}</lro:{name}{n}>" for n, v in enumerate(values, 1)]
    mission_params += ["          <lro:compression_flag>1</lro:compression_flag>", "          <lro:mode>7</lro:mode>",
                       "        </lro:LROC_Parameters>"]
    element_extra = [] if p.kind == "EDR" else ["<unit>I/F</unit>"]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "",
        "<Product_Observational",
        '  xmlns="http://pds.nasa.gov/pds4/pds/v1"',
        '  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
        '  xmlns:cart="http://pds.nasa.gov/pds4/cart/v1"',
        '  xmlns:lro="http://pds.nasa.gov/pds4/mission/lro/v1"',
        f'  xsi:schemaLocation="http://pds.nasa.gov/pds4/pds/v1 {SCHEMA_PDS}">',
        "",
        "  <Identification_Area>",
        f"    <logical_identifier>{lid}</logical_identifier>",
        "    <version_id>1.0</version_id>",
        f"    <title>Lunar Reconnaissance Orbiter Camera NAC {p.kind} Product</title>",
        f"    <information_model_version>{IM_VERSION}</information_model_version>",
        "    <product_class>Product_Observational</product_class>",
        "    <Alias_List>",
        "      <Alias>",
        f"        <alternate_id>{img_name}</alternate_id>",
        "        <comment>Original filename at PDS3 archive, on-line at LROC Node</comment>",
        "      </Alias>",
        "      <Alias>",
        f"        <alternate_id>{ids['original']}</alternate_id>",
        "        <comment>PDS3 SOURCE_PRODUCT_ID</comment>",
        "      </Alias>",
        "    </Alias_List>",
        "    <Modification_History>",
        "      <Modification_Detail>",
        f"        <modification_date>{p.label_date}</modification_date>",
        "        <version_id>1.0</version_id>",
        "        <description>",
        "          This PDS4 labeled (detached label) product (orig PDS3 image) is part of the archive_fed",
        f"          sample bundle, in the style of the LUNAR RECONNAISSANCE ORBITER CAMERA NAC {p.kind} migration to PDS4.",
        "        </description>",
        "      </Modification_Detail>",
        "    </Modification_History>",
        "  </Identification_Area>",
        "  <Observation_Area>",
        "    <Time_Coordinates>",
        f"      <start_date_time>{fmt_time(ids['start'], 6, 'Z')}</start_date_time>",
        f"      <stop_date_time>{fmt_time(ids['stop'], 6, 'Z')}</stop_date_time>",
        "    </Time_Coordinates>",
        "    <Primary_Result_Summary>",
        "      <purpose>Science</purpose>",
        f"      <processing_level>{level[0]}</processing_level>",
        "      <description>",
        LROC_DESCRIPTION,
        "      </description>",
        "    </Primary_Result_Summary>",
        "    <Investigation_Area>",
        "      <name>LUNAR RECONNAISSANCE ORBITER</name>",
        "      <type>Mission</type>",
        *internal_reference("      ", "urn:nasa:pds:context:investigation:mission.lunar_reconnaissance_orbiter",
                            "data_to_investigation", "This is the PDS4 logical identifier for LRO"),
        "    </Investigation_Area>",
        "    <Observing_System>",
        "      <Observing_System_Component>",
        "        <name>LUNAR RECONNAISSANCE ORBITER</name>",
        "        <type>Host</type>",
        *internal_reference("        ", "urn:nasa:pds:context:instrument_host:spacecraft.lro", "is_instrument_host"),
        "      </Observing_System_Component>",
        "      <Observing_System_Component>",
        "        <name>LUNAR RECONNAISSANCE ORBITER CAMERA</name>",
        "        <type>Instrument</type>",
        *internal_reference("        ", "urn:nasa:pds:context:instrument:lro.lroc", "is_instrument"),
        "      </Observing_System_Component>",
        "    </Observing_System>",
        "    <Target_Identification>",
        "      <name>MOON</name>",
        "      <type>Satellite</type>",
        *internal_reference("      ", "urn:nasa:pds:context:target:satellite.earth.moon", "data_to_target"),
        "    </Target_Identification>",
        "    <Mission_Area>",
        "      <lro:LRO_Parameters>",
        "        <!-- parameters for all LRO products -->",
        *mission_params,
        "      </lro:LRO_Parameters>",
        "    </Mission_Area>",
        *bounding_coordinates("    ", west, east, north, south, "image"),
        "  </Observation_Area>",
        "  <Reference_List>",
        "    <External_Reference>",
        "      <doi>10.1007/s11214-010-9634-2</doi>",
        "      <reference_text>Robinson, M. S. et al., 2010, \"Lunar Reconnaissance Orbiter Camera (LROC) Instrument",
        "        Overview\", Space Science Reviews, Volume 150, Issue 1-4, pp. 81-124",
        "      </reference_text>",
        "      <description>instrument overview</description>",
        "    </External_Reference>",
        "  </Reference_List>",
        "  <File_Area_Observational>",
        "    <File>",
        f"      <file_name>{img_name}</file_name>",
        f"      <local_identifier>{pid.lower()}_file</local_identifier>",
        f"      <creation_date_time>{o.created}Z</creation_date_time>",
        f'      <file_size unit="byte">{len(content)}</file_size>',
        f"      <records>{made['label_records'] + p.lines * made['image'].dtype.itemsize * p.samples // made['record_bytes']}</records>",
        f"      <md5_checksum>{md5(content)}</md5_checksum>",
        "    </File>",
        "    <Header>",
        "      <local_identifier>pds3_label</local_identifier>",
        '      <offset unit="byte">0</offset>',
        f'      <object_length unit="byte">{made["header_bytes"]}</object_length>',
        "      <parsing_standard_id>PDS3</parsing_standard_id>",
        "      <description>The attached PDS3 label of the original product.</description>",
        "    </Header>",
        *array_2d("    ", "image", made["header_bytes"], level[1], p.lines, p.samples, element_extra),
        "  </File_Area_Observational>",
        "</Product_Observational>",
    ]
    return {
        "files": {f"lro_lroc/{pid}.xml": lf(lines), f"lro_lroc/{img_name}": content},
        "lidvid": f"{lid}::1.0",
        "time": (fmt_time(ids["start"], 6, "Z"), fmt_time(ids["stop"], 6, "Z")),
        "summary": dict(product_id=pid, lid=lid, bbox=p.bbox, shape=(p.lines, p.samples)),
    }


# ===================================================================================== PDS4: KPLO ShadowCam
@dataclass
class ShadowCamProduct:
    product_id: str
    start: str
    duration: float
    region: str
    bbox: tuple[float, float, float, float]      # west, east, north, south
    lines: int
    samples: int
    dtype: str                                   # IEEE754LSBSingle or UnsignedLSB2
    created: str
    seed: int


SHADOWCAM = [
    ShadowCamProduct(product_id="M045317224S", start="2023-06-14T21:03:55.418620", duration=18.304,
                     region="Faustini crater permanently shadowed region",
                     bbox=(70.214, 84.937, -86.812, -87.906), lines=48, samples=32, dtype="IEEE754LSBSingle",
                     created="2023-07-21T16:32:08", seed=2),
    ShadowCamProduct(product_id="M049920561S", start="2024-02-03T04:47:12.090317", duration=21.517,
                     region="Shackleton crater floor, containing the south pole",
                     bbox=(0.0, 360.0, -89.372, -90.0), lines=48, samples=32, dtype="UnsignedLSB2",
                     created="2024-03-08T11:05:47", seed=7),
]


def shadowcam_product(p: ShadowCamProduct) -> dict:
    y, x = np.mgrid[0:p.lines, 0:p.samples].astype(np.int64)
    counts = 180 + 6 * x + 2 * y + ((x * 3 + y * 5 + p.seed) % 13) * 4
    counts = np.where((x - 20) ** 2 + (y - 30) ** 2 < 64, counts // 3, counts)
    if p.dtype == "IEEE754LSBSingle":
        array = (counts.astype(np.float64) / 262144.0).astype("<f4")          # radiance-like, tiny in a PSR
        array[0, 0] = np.float32(-3.4028227e38)
        extra = ["<unit>W/m**2/sr/micron</unit>"]
        constants = ["<missing_constant>-3.4028227E38</missing_constant>"]
    else:
        array = counts.astype("<u2")
        array[p.lines - 1, p.samples - 1] = 0
        extra = ["<unit>W/m**2/sr/micron</unit>", "<scaling_factor>3.8147e-06</scaling_factor>",
                 "<value_offset>0.0</value_offset>"]
        constants = ["<missing_constant>0</missing_constant>"]
    data = array.tobytes()
    name = p.product_id.lower()
    lid = f"{BUNDLE_LID}:kplo_shadowcam:{name}"
    start = parse_time(p.start)
    stop = shift(start, p.duration)
    data_name = f"{p.product_id}.IMG"
    west, east, north, south = p.bbox
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml-model href="https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1K00.sch"',
        '  schematypens="http://purl.oclc.org/dsdl/schematron"?>',
        "<Product_Observational",
        '  xmlns="http://pds.nasa.gov/pds4/pds/v1"',
        '  xmlns:cart="http://pds.nasa.gov/pds4/cart/v1"',
        '  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
        f'  xsi:schemaLocation="http://pds.nasa.gov/pds4/pds/v1 {SCHEMA_PDS}">',
        "  <Identification_Area>",
        f"    <logical_identifier>{lid}</logical_identifier>",
        "    <version_id>1.0</version_id>",
        f"    <title>ShadowCam Calibrated Image {p.product_id}</title>",
        f"    <information_model_version>{IM_VERSION}</information_model_version>",
        "    <product_class>Product_Observational</product_class>",
        "    <Modification_History>",
        "      <Modification_Detail>",
        f"        <modification_date>{p.created[:10]}</modification_date>",
        "        <version_id>1.0</version_id>",
        "        <description>Initial version.</description>",
        "      </Modification_Detail>",
        "    </Modification_History>",
        "  </Identification_Area>",
        "  <Observation_Area>",
        "    <Time_Coordinates>",
        f"      <start_date_time>{fmt_time(start, 6, 'Z')}</start_date_time>",
        f"      <stop_date_time>{fmt_time(stop, 6, 'Z')}</stop_date_time>",
        "    </Time_Coordinates>",
        "    <Primary_Result_Summary>",
        "      <purpose>Science</purpose>",
        "      <processing_level>Calibrated</processing_level>",
        f"      <description>ShadowCam image of the {p.region}, radiometrically calibrated.</description>",
        "      <Science_Facets>",
        "        <wavelength_range>Visible</wavelength_range>",
        "        <discipline_name>Imaging</discipline_name>",
        "      </Science_Facets>",
        "    </Primary_Result_Summary>",
        "    <Investigation_Area>",
        "      <name>KOREA PATHFINDER LUNAR ORBITER</name>",
        "      <type>Mission</type>",
        *internal_reference("      ", "urn:nasa:pds:context:investigation:mission.kplo", "data_to_investigation"),
        "    </Investigation_Area>",
        "    <Observing_System>",
        "      <Observing_System_Component>",
        "        <name>Korea Pathfinder Lunar Orbiter (Danuri)</name>",
        "        <type>Host</type>",
        *internal_reference("        ", "urn:nasa:pds:context:instrument_host:spacecraft.kplo", "is_instrument_host"),
        "      </Observing_System_Component>",
        "      <Observing_System_Component>",
        "        <name>ShadowCam</name>",
        "        <type>Instrument</type>",
        *internal_reference("        ", "urn:nasa:pds:context:instrument:kplo.shadowcam", "is_instrument"),
        "      </Observing_System_Component>",
        "    </Observing_System>",
        "    <Target_Identification>",
        "      <name>Earth</name>",
        "      <type>Planet</type>",
        *internal_reference("      ", "urn:nasa:pds:context:target:planet.earth", "data_to_target"),
        "    </Target_Identification>",
        "    <Target_Identification>",
        "      <name>Moon</name>",
        "      <type>Satellite</type>",
        *internal_reference("      ", "urn:nasa:pds:context:target:satellite.earth.moon", "data_to_target"),
        "    </Target_Identification>",
        *bounding_coordinates("    ", west, east, north, south, "image"),
        "  </Observation_Area>",
        "  <File_Area_Observational>",
        "    <File>",
        f"      <file_name>{data_name}</file_name>",
        f"      <creation_date_time>{p.created}Z</creation_date_time>",
        f'      <file_size unit="byte">{len(data)}</file_size>',
        f"      <md5_checksum>{md5(data)}</md5_checksum>",
        "    </File>",
        *array_2d("    ", "image", 0, p.dtype, p.lines, p.samples, extra, constants),
        "  </File_Area_Observational>",
        "</Product_Observational>",
    ]
    return {
        "files": {f"kplo_shadowcam/{p.product_id}.xml": lf(lines), f"kplo_shadowcam/{data_name}": data},
        "lidvid": f"{lid}::1.0",
        "time": (fmt_time(start, 6, "Z"), fmt_time(stop, 6, "Z")),
        "summary": dict(product_id=p.product_id, lid=lid, bbox=p.bbox, shape=(p.lines, p.samples)),
    }


# ================================================================================ PDS4: collections, bundle
@dataclass
class CollectionInfo:
    name: str
    title: str
    description: str
    level: str
    investigation: tuple[str, str | None]              # name, lid
    observing: list[tuple[str, str, str | None]]       # name, type, lid
    targets: list[tuple[str, str, str | None]]         # name, type, lid
    members: list[str] = field(default_factory=list)
    times: list[tuple[str, str]] = field(default_factory=list)


def collection_files(c: CollectionInfo) -> dict:
    inventory = ("".join(f"P,{m}\r\n" for m in c.members)).encode("ascii")
    inv_name = f"collection_{c.name}_inventory.csv"
    start = min(t[0] for t in c.times)
    stop = max(t[1] for t in c.times)

    def ref(indent, lid, rtype):
        return internal_reference(indent, lid, rtype) if lid else []

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml-model href="https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1K00.sch"',
        '  schematypens="http://purl.oclc.org/dsdl/schematron"?>',
        "",
        '<Product_Collection xmlns="http://pds.nasa.gov/pds4/pds/v1"',
        '  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
        f'  xsi:schemaLocation="http://pds.nasa.gov/pds4/pds/v1 {SCHEMA_PDS}">',
        "  <Identification_Area>",
        f"    <logical_identifier>{BUNDLE_LID}:{c.name}</logical_identifier>",
        "    <version_id>1.0</version_id>",
        f"    <title>{xml_escape(c.title)}</title>",
        f"    <information_model_version>{IM_VERSION}</information_model_version>",
        "    <product_class>Product_Collection</product_class>",
        "    <Citation_Information>",
        "      <author_list>archive_fed developers</author_list>",
        "      <publication_year>2025</publication_year>",
        f"      <description>{xml_escape(c.description)}</description>",
        "    </Citation_Information>",
        "    <Modification_History>",
        "      <Modification_Detail>",
        "        <modification_date>2025-01-15</modification_date>",
        "        <version_id>1.0</version_id>",
        "        <description>First release</description>",
        "      </Modification_Detail>",
        "    </Modification_History>",
        "  </Identification_Area>",
        "  <Context_Area>",
        "    <Time_Coordinates>",
        f"      <start_date_time>{start}</start_date_time>",
        f"      <stop_date_time>{stop}</stop_date_time>",
        "    </Time_Coordinates>",
        "    <Primary_Result_Summary>",
        "      <purpose>Science</purpose>",
        f"      <processing_level>{c.level}</processing_level>",
        "    </Primary_Result_Summary>",
        "    <Investigation_Area>",
        f"      <name>{xml_escape(c.investigation[0])}</name>",
        "      <type>Mission</type>",
        *ref("      ", c.investigation[1], "collection_to_investigation"),
        "    </Investigation_Area>",
        "    <Observing_System>",
    ]
    for name, otype, lid in c.observing:
        lines += ["      <Observing_System_Component>", f"        <name>{xml_escape(name)}</name>",
                  f"        <type>{otype}</type>",
                  *ref("        ", lid, "is_instrument_host" if otype in ("Host", "Spacecraft") else "is_instrument"),
                  "      </Observing_System_Component>"]
    lines.append("    </Observing_System>")
    for name, ttype, lid in c.targets:
        lines += ["    <Target_Identification>", f"      <name>{name}</name>", f"      <type>{ttype}</type>",
                  *ref("      ", lid, "collection_to_target"), "    </Target_Identification>"]
    lines += [
        "  </Context_Area>",
        "  <Collection>",
        "    <collection_type>Data</collection_type>",
        "  </Collection>",
        "  <File_Area_Inventory>",
        "    <File>",
        f"      <file_name>{inv_name}</file_name>",
        f"      <local_identifier>{c.name}_inventory</local_identifier>",
        "      <creation_date_time>2025-01-15T00:00:00Z</creation_date_time>",
        f'      <file_size unit="byte">{len(inventory)}</file_size>',
        f"      <records>{len(c.members)}</records>",
        f"      <md5_checksum>{md5(inventory)}</md5_checksum>",
        "    </File>",
        "    <Inventory>",
        '      <offset unit="byte">0</offset>',
        "      <parsing_standard_id>PDS DSV 1</parsing_standard_id>",
        f"      <records>{len(c.members)}</records>",
        "      <record_delimiter>Carriage-Return Line-Feed</record_delimiter>",
        "      <field_delimiter>Comma</field_delimiter>",
        "      <Record_Delimited>",
        "        <fields>2</fields>",
        "        <groups>0</groups>",
        "        <Field_Delimited>",
        "          <name>Member Status</name>",
        "          <field_number>1</field_number>",
        "          <data_type>ASCII_String</data_type>",
        '          <maximum_field_length unit="byte">1</maximum_field_length>',
        "        </Field_Delimited>",
        "        <Field_Delimited>",
        "          <name>LIDVID_LID</name>",
        "          <field_number>2</field_number>",
        "          <data_type>ASCII_LIDVID_LID</data_type>",
        '          <maximum_field_length unit="byte">255</maximum_field_length>',
        "        </Field_Delimited>",
        "      </Record_Delimited>",
        "      <reference_type>inventory_has_member_product</reference_type>",
        "    </Inventory>",
        "  </File_Area_Inventory>",
        "</Product_Collection>",
    ]
    return {f"{c.name}/collection_{c.name}.xml": lf(lines), f"{c.name}/{inv_name}": inventory}


def bundle_label(collections: list[CollectionInfo]) -> bytes:
    start = min(t[0] for c in collections for t in c.times)
    stop = max(t[1] for c in collections for t in c.times)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml-model href="https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1K00.sch"',
        '  schematypens="http://purl.oclc.org/dsdl/schematron"?>',
        "",
        '<Product_Bundle xmlns="http://pds.nasa.gov/pds4/pds/v1"',
        '    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
        f'    xsi:schemaLocation="http://pds.nasa.gov/pds4/pds/v1 {SCHEMA_PDS}">',
        "    <Identification_Area>",
        f"        <logical_identifier>{BUNDLE_LID}</logical_identifier>",
        "        <version_id>1.0</version_id>",
        "        <title>Lunar federation sample bundle</title>",
        f"        <information_model_version>{IM_VERSION}</information_model_version>",
        "        <product_class>Product_Bundle</product_class>",
        "        <Citation_Information>",
        "            <author_list>archive_fed developers</author_list>",
        "            <publication_year>2025</publication_year>",
        "            <description>",
        "          A small PDS4 bundle shipped inside the archive_fed package, federating sample products of",
        "          three lunar missions: Chang'e-4 Lunar Penetrating Radar products as distributed by the",
        "          CNSA GRAS data release system (their own PDS4-style labels, kept as they are), LRO LROC",
        "          products with PDS4 migration labels, and KPLO (Danuri) ShadowCam calibrated images of",
        "          permanently shadowed regions near the lunar south pole. The products are synthetic:",
        "          the labels follow the archives' dialects, the data are small generated arrays and tables.",
        "            </description>",
        "        </Citation_Information>",
        "        <Modification_History>",
        "            <Modification_Detail>",
        "                <modification_date>2025-01-15</modification_date>",
        "                <version_id>1.0</version_id>",
        "                <description>First release of the sample bundle</description>",
        "            </Modification_Detail>",
        "        </Modification_History>",
        "    </Identification_Area>",
        "    <Context_Area>",
        "        <Time_Coordinates>",
        f"            <start_date_time>{start}</start_date_time>",
        f"            <stop_date_time>{stop}</stop_date_time>",
        "        </Time_Coordinates>",
        "        <Primary_Result_Summary>",
        "            <purpose>Science</purpose>",
        "            <processing_level>Raw</processing_level>",
        "            <processing_level>Calibrated</processing_level>",
        "        </Primary_Result_Summary>",
    ]
    for c in collections:
        lines += ["        <Investigation_Area>", f"            <name>{xml_escape(c.investigation[0])}</name>",
                  "            <type>Mission</type>"]
        if c.investigation[1]:
            lines += internal_reference("            ", c.investigation[1], "bundle_to_investigation")
        lines.append("        </Investigation_Area>")
    lines += [
        "        <Target_Identification>",
        "            <name>Moon</name>",
        "            <type>Satellite</type>",
        *internal_reference("            ", "urn:nasa:pds:context:target:satellite.earth.moon", "bundle_to_target"),
        "        </Target_Identification>",
        "    </Context_Area>",
        "    <Bundle>",
        "        <bundle_type>Archive</bundle_type>",
        "        <description>Sample data collections of the archive_fed package.</description>",
        "    </Bundle>",
    ]
    for c in collections:
        lines += ["    <Bundle_Member_Entry>",
                  f"        <lidvid_reference>{BUNDLE_LID}:{c.name}::1.0</lidvid_reference>",
                  "        <member_status>Primary</member_status>",
                  "        <reference_type>bundle_has_data_collection</reference_type>",
                  "    </Bundle_Member_Entry>"]
    lines.append("</Product_Bundle>")
    return lf(lines)


# ================================================================================================ build
def build_pds3() -> tuple[dict[str, bytes], list[dict]]:
    products = [tc_product(s) for s in TC_SCENES] + [mv_product(s) for s in MV_SCENES]
    products += [mimap_product(), lroc_volume_product()]
    files: dict[str, bytes] = {}
    rows = []
    for p in products:
        files.update(p["files"])
        rows.append(p["index"])
    files.update(index_files(rows))
    files["VOLDESC.CAT"] = voldesc(rows)
    files["AAREADME.TXT"] = aareadme(rows)
    return {f"pds3_volume/{k}": v for k, v in files.items()}, [p["summary"] for p in products]


def build_pds4() -> tuple[dict[str, bytes], list[dict]]:
    files: dict[str, bytes] = {}
    summary = []
    ce4 = CollectionInfo(
        name="change4_lpr", title="Chang'e-4 Lunar Penetrating Radar Level 2B sample collection",
        description="Chang'e-4 (Yutu-2 rover) LPR channel 1 and channel 2B Level 2B products with their GRAS labels.",
        level="Calibrated", investigation=("CE4", None),
        observing=[("CE4Ro", "Spacecraft", None), ("Lunar Penetrating Radar", "Instrument", None)],
        targets=[("Moon", "Satellite", "urn:nasa:pds:context:target:satellite.earth.moon")])
    for p in CE4_PRODUCTS:
        data = ce4_data(p)
        name = ce4_name(p)
        files[f"change4_lpr/{name}"] = data
        files[f"change4_lpr/{name}L"] = ce4_label(p, data)
        ce4.members.append(f"{name}::1.0")
        ce4.times.append((p.start + "Z", p.stop + "Z"))
        summary.append(dict(product_id=name, position=p.position, records=p.records))
    lro = CollectionInfo(
        name="lro_lroc", title="LRO LROC NAC sample collection (PDS4 migration labels)",
        description="LROC Narrow Angle Camera EDR and CDR products with PDS4 migration labels.",
        level="Calibrated",
        investigation=("LUNAR RECONNAISSANCE ORBITER",
                       "urn:nasa:pds:context:investigation:mission.lunar_reconnaissance_orbiter"),
        observing=[("LUNAR RECONNAISSANCE ORBITER", "Host", "urn:nasa:pds:context:instrument_host:spacecraft.lro"),
                   ("LUNAR RECONNAISSANCE ORBITER CAMERA", "Instrument", "urn:nasa:pds:context:instrument:lro.lroc")],
        targets=[("Moon", "Satellite", "urn:nasa:pds:context:target:satellite.earth.moon")])
    for p in LROC_PDS4:
        made = lroc_pds4_product(p)
        files.update(made["files"])
        lro.members.append(made["lidvid"])
        lro.times.append(made["time"])
        summary.append(made["summary"])
    kplo = CollectionInfo(
        name="kplo_shadowcam", title="KPLO ShadowCam calibrated sample collection",
        description="ShadowCam calibrated images of permanently shadowed regions near the lunar south pole.",
        level="Calibrated",
        investigation=("KOREA PATHFINDER LUNAR ORBITER", "urn:nasa:pds:context:investigation:mission.kplo"),
        observing=[("Korea Pathfinder Lunar Orbiter (Danuri)", "Host",
                    "urn:nasa:pds:context:instrument_host:spacecraft.kplo"),
                   ("ShadowCam", "Instrument", "urn:nasa:pds:context:instrument:kplo.shadowcam")],
        targets=[("Earth", "Planet", "urn:nasa:pds:context:target:planet.earth"),
                 ("Moon", "Satellite", "urn:nasa:pds:context:target:satellite.earth.moon")])
    for p in SHADOWCAM:
        made = shadowcam_product(p)
        files.update(made["files"])
        kplo.members.append(made["lidvid"])
        kplo.times.append(made["time"])
        summary.append(made["summary"])
    collections = [ce4, lro, kplo]
    for c in collections:
        files.update(collection_files(c))
    files["bundle_archive_fed_sample.xml"] = bundle_label(collections)
    return {f"pds4_bundle/{k}": v for k, v in files.items()}, summary


def build() -> dict[str, bytes]:
    """Every file of the sample archive: path relative to the sample folder -> bytes."""
    files, _ = build_pds3()
    pds4, _ = build_pds4()
    files.update(pds4)
    return dict(sorted(files.items()))


def write(out: Path, clean: bool = False) -> list[Path]:
    out = Path(out)
    files = build()
    if clean:
        for top in ("pds3_volume", "pds4_bundle"):
            for old in sorted((out / top).rglob("*"), reverse=True) if (out / top).exists() else []:
                if old.is_file() and str(old.relative_to(out)).replace("\\", "/") not in files:
                    old.unlink()
    written = []
    for rel, data in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archive_fed.sample.make_sample", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: the package's sample folder)")
    parser.add_argument("--clean", action="store_true", help="remove files the generator no longer writes")
    parser.add_argument("--list", action="store_true", help="print the products instead of writing")
    args = parser.parse_args(argv)
    if args.list:
        for group in (build_pds3()[1], build_pds4()[1]):
            for item in group:
                print(item)
        return 0
    written = write(args.out, clean=args.clean)
    total = sum(p.stat().st_size for p in written)
    print(f"wrote {len(written)} files ({total} bytes) under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
