"""A synthetic LROC-EDR-style PDS3 volume: ``INDEX/CUMINDEX.LBL`` + a fixed-width ``CUMINDEX.TAB`` (quoted
character fields, CRLF) and, for chosen rows, detached product labels that agree with the index.

Used by tests/harvest/test_ingest.py and benchmarks/ingest.py. The column set follows the LROC EDR
cumulative index (identity, file, times, clock counts, geometry: centre + four corners, angles).
"""
from __future__ import annotations

import math
import os
import random
from typing import Iterable

# (name, data type, bytes); character fields are written in double quotes (+2 bytes, + comma)
COLUMNS: list[tuple[str, str, int]] = [
    ("VOLUME_ID", "CHARACTER", 12), ("FILE_SPECIFICATION_NAME", "CHARACTER", 50),
    ("ORIGINAL_PRODUCT_ID", "CHARACTER", 26), ("PRODUCT_ID", "CHARACTER", 26),
    ("DATA_SET_ID", "CHARACTER", 21), ("INSTRUMENT_HOST_NAME", "CHARACTER", 28),
    ("INSTRUMENT_ID", "CHARACTER", 4), ("MISSION_PHASE_NAME", "CHARACTER", 32),
    ("TARGET_NAME", "CHARACTER", 4), ("ORBIT_NUMBER", "ASCII_INTEGER", 5), ("SLEW_ANGLE", "ASCII_REAL", 8),
    ("START_TIME", "TIME", 23), ("STOP_TIME", "TIME", 23),
    ("SPACECRAFT_CLOCK_START_COUNT", "CHARACTER", 17), ("SPACECRAFT_CLOCK_STOP_COUNT", "CHARACTER", 17),
    ("LINE_EXPOSURE_DURATION", "ASCII_REAL", 9), ("LINES", "ASCII_INTEGER", 6), ("SAMPLES", "ASCII_INTEGER", 5),
    ("CENTER_LATITUDE", "ASCII_REAL", 8), ("CENTER_LONGITUDE", "ASCII_REAL", 8),
    ("UPPER_RIGHT_LATITUDE", "ASCII_REAL", 8), ("UPPER_RIGHT_LONGITUDE", "ASCII_REAL", 8),
    ("LOWER_RIGHT_LATITUDE", "ASCII_REAL", 8), ("LOWER_RIGHT_LONGITUDE", "ASCII_REAL", 8),
    ("LOWER_LEFT_LATITUDE", "ASCII_REAL", 8), ("LOWER_LEFT_LONGITUDE", "ASCII_REAL", 8),
    ("UPPER_LEFT_LATITUDE", "ASCII_REAL", 8), ("UPPER_LEFT_LONGITUDE", "ASCII_REAL", 8),
    ("INCIDENCE_ANGLE", "ASCII_REAL", 7), ("EMISSION_ANGLE", "ASCII_REAL", 7), ("PHASE_ANGLE", "ASCII_REAL", 7),
    ("RESOLUTION", "ASCII_REAL", 6), ("PRODUCT_CREATION_TIME", "TIME", 19),
]
DATA_SET = "LRO-L-LROC-2-EDR-V1.0"
HOST = "LUNAR RECONNAISSANCE ORBITER"


def layout() -> tuple[list[tuple[str, str, int, int]], int]:
    """(name, type, START_BYTE, BYTES) per column and ROW_BYTES (CRLF included)."""
    out, position = [], 1
    for name, kind, size in COLUMNS:
        quoted = kind == "CHARACTER"
        out.append((name, kind, position + (1 if quoted else 0), size))
        position += size + (2 if quoted else 0) + 1
    return out, position  # the sizes, quotes and commas, the last comma replaced by CR LF


def row_values(i: int, seed: int = 0) -> dict[str, str]:
    rng = random.Random(seed * 1_000_003 + i)
    clock = 250_000_000 + i * 37
    side = "LE" if i % 2 == 0 else "RE"
    product = f"M{clock:09d}{side}"
    day = 93 + (i // 1000) % 270  # days 093-362 of 2010: real dates however many rows
    lat, lon = rng.uniform(-80, 80), rng.uniform(0, 360)
    height, width = 0.4, 0.05 / max(0.1, math.cos(math.radians(lat)))
    second = (i * 7) % 86_000
    start = f"2010-{day:03d}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}.{i % 1000:03d}"
    stop = f"2010-{day:03d}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}.{(i + 500) % 1000:03d}"
    corners = {"UPPER_RIGHT": (lat + height, lon + width), "LOWER_RIGHT": (lat - height, lon + width),
               "LOWER_LEFT": (lat - height, lon - width), "UPPER_LEFT": (lat + height, lon - width)}
    values = {
        "VOLUME_ID": "LROLRC_0001", "FILE_SPECIFICATION_NAME": f"DATA/COM/2010{day:03d}/NAC/{product}.IMG",
        "ORIGINAL_PRODUCT_ID": f"nacl{clock:08d}"[:26], "PRODUCT_ID": product, "DATA_SET_ID": DATA_SET,
        "INSTRUMENT_HOST_NAME": HOST, "INSTRUMENT_ID": "LROC", "MISSION_PHASE_NAME": "COMMISSIONING",
        "TARGET_NAME": "MOON", "ORBIT_NUMBER": str(1 + i // 50), "SLEW_ANGLE": f"{rng.uniform(-5, 5):.4f}",
        "START_TIME": start, "STOP_TIME": stop,
        "SPACECRAFT_CLOCK_START_COUNT": f"{clock}:0", "SPACECRAFT_CLOCK_STOP_COUNT": f"{clock + 1}:0",
        "LINE_EXPOSURE_DURATION": "0.34", "LINES": "52224", "SAMPLES": "5064",
        "CENTER_LATITUDE": f"{lat:.4f}", "CENTER_LONGITUDE": f"{lon % 360:.4f}",
        "INCIDENCE_ANGLE": f"{rng.uniform(0, 90):.2f}", "EMISSION_ANGLE": f"{rng.uniform(0, 5):.2f}",
        "PHASE_ANGLE": f"{rng.uniform(0, 90):.2f}", "RESOLUTION": "0.50",
        "PRODUCT_CREATION_TIME": "2010-06-15T00:00:00",
    }
    for corner, (la, lo) in corners.items():
        values[f"{corner}_LATITUDE"] = f"{max(-90.0, min(90.0, la)):.4f}"
        values[f"{corner}_LONGITUDE"] = f"{lo % 360:.4f}"
    return values


def format_row(values: dict[str, str]) -> str:
    fields = []
    for name, kind, size in COLUMNS:
        value = values[name]
        fields.append(f'"{value:<{size}.{size}}"' if kind == "CHARACTER" else f"{value:>{size}.{size}}")
    return ",".join(fields) + "\r\n"


def index_label(rows: int) -> str:
    columns, row_bytes = layout()
    lines = ['PDS_VERSION_ID = PDS3', 'RECORD_TYPE = FIXED_LENGTH', f'RECORD_BYTES = {row_bytes}',
             f'FILE_RECORDS = {rows}', '^INDEX_TABLE = "CUMINDEX.TAB"', f'DATA_SET_ID = "{DATA_SET}"',
             f'INSTRUMENT_HOST_NAME = "{HOST}"', 'INSTRUMENT_NAME = "LUNAR RECONNAISSANCE ORBITER CAMERA"',
             'TARGET_NAME = MOON', 'OBJECT = INDEX_TABLE', '  INTERCHANGE_FORMAT = ASCII',
             f'  ROWS = {rows}', f'  COLUMNS = {len(columns)}', f'  ROW_BYTES = {row_bytes}',
             '  INDEX_TYPE = CUMULATIVE']
    for number, (name, kind, start, size) in enumerate(columns, 1):
        lines += ['  OBJECT = COLUMN', f'    COLUMN_NUMBER = {number}', f'    NAME = {name}',
                  f'    DATA_TYPE = {kind}', f'    START_BYTE = {start}', f'    BYTES = {size}',
                  '  END_OBJECT = COLUMN']
    lines += ['END_OBJECT = INDEX_TABLE', 'END']
    return "\r\n".join(lines) + "\r\n"


def product_label(values: dict[str, str]) -> str:
    """An attached-style PDS3 label text carrying the same keywords as the index row."""
    keys = ["PRODUCT_ID", "DATA_SET_ID", "INSTRUMENT_HOST_NAME", "INSTRUMENT_ID", "TARGET_NAME", "START_TIME",
            "STOP_TIME", "PRODUCT_CREATION_TIME"] + [f"{c}_{a}" for c in ("UPPER_LEFT", "UPPER_RIGHT",
                                                                           "LOWER_RIGHT", "LOWER_LEFT")
                                                     for a in ("LATITUDE", "LONGITUDE")]
    lines = ["PDS_VERSION_ID = PDS3", "RECORD_TYPE = UNDEFINED", "^IMAGE = 2"]
    for key in keys:
        value = values[key]
        lines.append(f'{key} = "{value}"' if key in ("PRODUCT_ID", "DATA_SET_ID", "INSTRUMENT_HOST_NAME")
                     else f"{key} = {value}")
    lines += ["OBJECT = IMAGE", "  LINES = 1", "  LINE_SAMPLES = 1", "  SAMPLE_BITS = 8", "END_OBJECT = IMAGE",
              "END"]
    return "\r\n".join(lines) + "\r\n"


def write_volume(root: str, rows: int, *, seed: int = 0, labels: Iterable[int] = (), first: int = 0) -> None:
    """Write the index of rows ``first .. first + rows - 1`` (and labels for the given rows) under ``root``."""
    os.makedirs(os.path.join(root, "INDEX"), exist_ok=True)
    with open(os.path.join(root, "INDEX", "CUMINDEX.LBL"), "w", newline="") as stream:
        stream.write(index_label(rows))
    with open(os.path.join(root, "INDEX", "CUMINDEX.TAB"), "w", newline="") as stream:
        block = []
        for i in range(first, first + rows):
            block.append(format_row(row_values(i, seed)))
            if len(block) >= 10_000:
                stream.write("".join(block))
                block.clear()
        stream.write("".join(block))
    for i in labels:
        values = row_values(i, seed)
        path = os.path.join(root, values["FILE_SPECIFICATION_NAME"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", newline="") as stream:
            stream.write(product_label(values))
