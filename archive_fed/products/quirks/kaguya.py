"""Kaguya (SELENE, JAXA) product data quirks.

Side objects that cannot be read from what their label says, skipped (the rest of the product opens) with
a :class:`~archive_fed.products.layout.ProductWarning` — catalogued by pdr (``pdr/formats/kaguya.py``,
selected in ``pdr/formats/checkers.py`` from ``DATA_SET_ID`` and the pointer name):

* PACE PBF1 (``SLN-L-PACE-3-PBF1-V3.0``) ``TIME_SERIES``: the record layout is only in the dataset's
  ``read_pbf_v2.c`` (``pace_time_series_trivial``);
* SP level 2 (``SLN-L-SP-*``) ``L2D_RESULT_ARRAY``: declared with zero size (``sp_l2d_result_array_trivial``);
* TC DEM/ortho (``SLN-L-TC-4-DEM-ORTHO-V1.0``) ``QA_FILENAME``: names another product's file, which has its
  own label (``sp_tc_filename_pointer_trivial``);
* GRS engineering spectra (``SLN-L-GRS-3-ENG-SPECTRUM-V1.0``) ``TABLE``: no column description in the
  label (``grs_eng_tables_trivial``).

>>> side_object({"DATA_SET_ID": "SLN-L-PACE-3-PBF1-V3.0"}, "TIME_SERIES")
'the PACE PBF1 TIME_SERIES layout is only in the dataset software (read_pbf_v2.c)'
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def side_object(label: Mapping[str, Any], name: str) -> str | None:
    """Why object ``name`` of a Kaguya ``label`` is skipped, or None when it is read."""
    data_set = str(label.get("DATA_SET_ID") or "").strip().upper()
    name = name.upper()
    if data_set == "SLN-L-PACE-3-PBF1-V3.0" and name == "TIME_SERIES":
        return "the PACE PBF1 TIME_SERIES layout is only in the dataset software (read_pbf_v2.c)"
    if data_set.startswith("SLN-L-SP") and "L2D_RESULT_ARRAY" in name:
        return "the SP L2D_RESULT_ARRAY is declared with zero size"
    if data_set == "SLN-L-TC-4-DEM-ORTHO-V1.0" and name == "QA_FILENAME":
        return "QA_FILENAME names the QA product's own file: open it through its label"
    if data_set == "SLN-L-GRS-3-ENG-SPECTRUM-V1.0" and name == "TABLE":
        return "the GRS engineering TABLE has no column description in its label"
    return None


# ---- tables whose labels do not describe them ---------------------------------------------------------
#: (name, start byte, bytes, data type, unit): LMAG_Format_en_V01.pdf / RV_Format_en_V01.pdf, as pdr
#: transcribes them (``get_special_grid_table_block``, ``get_special_1d_sigma_block``,
#: ``get_special_mag_ts_block``, ``rise_traj_special_block``).
LMAG_GRID = [("LATITUDE", 1, 8, "ASCII_REAL", "DEGREE"), ("LONGITUDE", 10, 8, "ASCII_REAL", "DEGREE")] + [
    (name, 19 + 9 * k, 8, "ASCII_REAL", "nT") for k, name in enumerate(["X", "Y", "Z", "F", "X1", "Y2", "Z2", "F2"])
] + [("A", 91, 4, "ASCII_INTEGER", None)]
LMAG_SIGMA = [("TOP_RADIUS", 1, 8, "ASCII_REAL", "km"), ("UNDER_RADIUS", 10, 8, "ASCII_REAL", "km"),
              ("ELECTRICAL_CONDUCTANCE", 19, 12, "ASCII_REAL", "S/m")]
LMAG_TS = [("TIME", 1, 19, "CHARACTER", None), ("X1", 21, 8, "ASCII_REAL", "km"), ("Y1", 30, 8, "ASCII_REAL", "km"),
           ("Z1", 39, 8, "ASCII_REAL", "km"), ("Bx1", 48, 7, "ASCII_REAL", "nT"), ("By1", 56, 7, "ASCII_REAL", "nT"),
           ("Bz1", 64, 7, "ASCII_REAL", "nT"), ("X2", 72, 10, "ASCII_REAL", "km"), ("Y2", 83, 10, "ASCII_REAL", "km"),
           ("Z2", 94, 10, "ASCII_REAL", "km"), ("Bx2", 105, 7, "ASCII_REAL", "nT"),
           ("By2", 113, 7, "ASCII_REAL", "nT"), ("Bz2", 121, 7, "ASCII_REAL", "nT")]
RISE_TRAJ = [("DATE", 2, 6, "CHARACTER", None), ("GREENWICH_TIME_HHMM", 9, 4, "CHARACTER", None),
             ("GREENWICH_TIME_SS", 15, 8, "ASCII_REAL", "s"), ("X", 23, 13, "ASCII_REAL", "m"),
             ("Y", 36, 13, "ASCII_REAL", "m"), ("Z", 49, 13, "ASCII_REAL", "m"), ("VX", 62, 12, "ASCII_REAL", "m/s"),
             ("VY", 74, 12, "ASCII_REAL", "m/s"), ("VZ", 86, 12, "ASCII_REAL", "m/s"),
             ("LAT", 98, 11, "ASCII_REAL", "deg"), ("LON", 109, 11, "ASCII_REAL", "deg"),
             ("HEIGHT", 120, 13, "ASCII_REAL", "m")]


def pointer_name(label: Mapping[str, Any], name: str) -> str | None:
    """The pointer of object ``name`` when it is not ``^name``: LMAG MAG-TS labels point ``^TABLE`` at
    an object called ``TIME_SERIES`` (pdr ``get_special_mag_ts_block``), GRS nuclide maps at a
    ``SPREADSHEET``."""
    if _data_set(label) == "SLN-L-LMAG-3-MAG-TS-V1.0" and name.upper() == "TIME_SERIES":
        return "TABLE"
    if _data_set(label) == "SLN-L-GRS-5-NUCLIDE-MAP-V2.0" and name.upper() == "SPREADSHEET":
        return "TABLE"      # GRS nuclide maps: ^TABLE describes the SPREADSHEET (get_special_block_grs_table)
    return None


def patched_block(label: Mapping[str, Any], name: str, block: Any) -> Any:
    """The description of Kaguya object ``name`` to read instead of the label's, or None.

    * LMAG magnetic anomaly grids (``SLN-L-LMAG-5-MA-GRID*``), 1-D conductivity profiles
      (``SLN-L-LMAG-5-1D-SIGMA-ECS-V1.0``) and MAG time series (``SLN-L-LMAG-3-MAG-TS-V1.0``), RISE
      trajectories (``SLN-L-RISE-5-TRAJ-*``): the TABLE has no (or wrong) columns; the layout of the
      format documents is used (grid 64440 rows of 96 bytes, sigma 2 of 32, time series 129-byte rows,
      trajectories 133-byte rows; rows from the label, else from the file size);
    * SP level 2B (``SLN-L-SP-*LEVEL2B*``) ``ANCILLARY_AND_SUPPLEMENT_DATA``: the label also lists the
      four columns only level 2C products hold, past ``ROW_BYTES``: they are dropped
      (pdr ``get_special_block_sp_2b_supp``).
    """
    from .blocks import ascii_columns, table_block

    data_set, upper = _data_set(label), name.upper()
    rows = getattr(block.get("ROWS"), "value", block.get("ROWS"))
    rows = rows if isinstance(rows, int) and rows > 0 else None
    layouts = {"grid": (LMAG_GRID, 96, 64440), "sigma": (LMAG_SIGMA, 32, 2), "ts": (LMAG_TS, 129, rows),
               "rise": (RISE_TRAJ, 133, rows)}
    kind = None
    if "SLN-L-LMAG-5-MA-GRID" in data_set and upper == "TABLE":
        kind = "grid"
    elif data_set == "SLN-L-LMAG-5-1D-SIGMA-ECS-V1.0" and upper == "TABLE":
        kind = "sigma"
    elif data_set == "SLN-L-LMAG-3-MAG-TS-V1.0" and upper == "TIME_SERIES":
        kind = "ts"
    elif "SLN-L-RISE-5-TRAJ-" in data_set and upper == "TABLE":
        kind = "rise"
    if kind is not None:
        spec, row_bytes, count = layouts[kind]
        keywords: dict[str, Any] = {"INTERCHANGE_FORMAT": "ASCII", "ROW_BYTES": row_bytes, "COLUMNS": len(spec)}
        if count is not None:
            keywords["ROWS"] = count
        return table_block(block, keywords, ascii_columns(spec))
    if data_set.startswith("SLN-L-SP") and "LEVEL2B" in data_set and upper == "ANCILLARY_AND_SUPPLEMENT_DATA":
        return _within_row(block)
    return None


def _within_row(block: Any) -> Any:
    """``block`` without the columns that end past its ``ROW_BYTES``."""
    from .blocks import columns_changed, replaced

    row_bytes = getattr(block.get("ROW_BYTES"), "value", block.get("ROW_BYTES"))
    if not isinstance(row_bytes, int):
        return None

    def inside(column: Any) -> Any:
        start = getattr(column.get("START_BYTE"), "value", column.get("START_BYTE"))
        size = getattr(column.get("BYTES"), "value", column.get("BYTES"))
        if isinstance(start, int) and isinstance(size, int) and start + size - 1 > row_bytes:
            return None
        return column

    trimmed = columns_changed(block, inside)
    kept = sum(1 for key, _ in trimmed.items_ if key.upper() == "COLUMN")
    return replaced(trimmed, {"COLUMNS": kept}) if "COLUMNS" in block else trimmed


def _data_set(label: Mapping[str, Any]) -> str:
    return str(label.get("DATA_SET_ID") or "").strip().upper()
