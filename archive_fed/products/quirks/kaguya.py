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
