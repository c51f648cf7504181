"""Shared pieces of the sample generator: ids, clocks, time and ODL formatting, label padding, the
integer-only pixel formulas and the attached-label (ISIS/pvl style) layout."""
from __future__ import annotations

import hashlib
import math
import textwrap
from collections import Counter
from datetime import datetime, timedelta

import numpy as np


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
