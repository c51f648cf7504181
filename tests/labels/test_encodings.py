"""PDS3 label encodings: ASCII, UTF-8, GB18030 (Chang'e-1/2/3 labels with Chinese text), Latin-1 with a
warning. The Chang'e label is one we write in the CNSA dialect (CE1_BMYK_ product ids, Chinese
DATA_SET_NAME and DESCRIPTION)."""
from __future__ import annotations

import warnings

import pytest

from archive_fed.errors import LabelWarning
from archive_fed.labels import parse_label

CE1_LABEL = """PDS_VERSION_ID = PDS3
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = 512
FILE_RECORDS = 2
PRODUCT_ID = "CE1_BMYK_IIM_SCI_N_20081122025300_20081122035107_2845_A"
DATA_SET_NAME = "嫦娥一号干涉成像光谱仪2C级数据"
MISSION_NAME = "CHANG'E-1"
INSTRUMENT_NAME = "Interference Imaging Spectrometer"
DESCRIPTION = "嫦娥一号 干涉成像光谱仪 (IIM) 辐射校正后的图像数据。"
START_TIME = 2008-11-22T02:53:00.000
^IMAGE = 2
OBJECT = IMAGE
  LINES = 1
  LINE_SAMPLES = 256
  SAMPLE_TYPE = LSB_INTEGER
  SAMPLE_BITS = 16
END_OBJECT = IMAGE
END
"""


def test_change1_gb18030_label_is_decoded():
    data = CE1_LABEL.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")                          # it really is not UTF-8
    with warnings.catch_warnings():
        warnings.simplefilter("error", LabelWarning)
        label = parse_label(data)
    assert label["DATA_SET_NAME"] == "嫦娥一号干涉成像光谱仪2C级数据"
    assert label["DESCRIPTION"].startswith("嫦娥一号 干涉成像光谱仪")
    assert label["PRODUCT_ID"] == "CE1_BMYK_IIM_SCI_N_20081122025300_20081122035107_2845_A"
    assert label["IMAGE"]["LINE_SAMPLES"] == 256


def test_utf8_label_is_decoded_as_utf8():
    label = parse_label(CE1_LABEL.encode("utf-8"))
    assert label["DESCRIPTION"].startswith("嫦娥一号")


def test_other_bytes_stay_latin1_with_a_warning():
    data = 'PDS_VERSION_ID = PDS3\nTITLE = "caf\u00e9 cr\u00e8me"\nEND\n'.encode("latin-1")
    with pytest.warns(LabelWarning, match="neither UTF-8 nor GB18030"):
        label = parse_label(data)
    assert label["TITLE"] == "caf\u00e9 cr\u00e8me"


def test_latin1_degree_sign_is_not_taken_for_chinese():
    # b"\xb0C" is also a GB18030 character; one character is no Chinese word
    with pytest.warns(LabelWarning):
        label = parse_label('A = "25 \u00b0C"\nB = "30 \u00b0C"\nEND\n'.encode("latin-1"))
    assert label["A"] == "25 \u00b0C" and label["B"] == "30 \u00b0C"
