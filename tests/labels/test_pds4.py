"""PDS4 reader: every corpus XML label reads; hostile XML is refused with a LabelError naming the file."""
from __future__ import annotations

import time

import astropy.units as u
import pytest

import archive_fed as af
from archive_fed.errors import LabelError
from archive_fed.labels.pds4 import PDS4Label, parse_pds4
from tests.conftest import CORPUS, corpus_params

NS = 'xmlns="http://pds.nasa.gov/pds4/pds/v1"'


@pytest.mark.parametrize("path", corpus_params(".xml", ".2bl", ".2cl"))
def test_corpus_pds4_reads(path):
    label = af.read_label(path)
    assert isinstance(label, PDS4Label)
    assert label.format == "PDS4"
    assert label.path == str(path)
    assert label.product_class.startswith("Product_")
    assert label.find("Identification_Area/logical_identifier")
    assert label["Identification_Area"]["logical_identifier"] == label.find(
        "Identification_Area/logical_identifier")


def test_change_label_values(corpus):
    label = af.read_label(corpus / "changee/CE4_GRAS_LPR-2B_SCI_N_20231216075001_20231217065500_0316_A.2BL")
    assert label.product_class == "Product_Observational"
    ident = label["Identification_Area"]
    assert ident["logical_identifier"] == "CE4_GRAS_LPR-2B_SCI_N_20231216075001_20231217065500_0316_A.2B"
    assert ident["information_model_version"] == "1.5.0.0"
    location = label["Observation_Area"]["Mission_Area"]["Lander_Location"]
    assert location["longitude"] == 177.5991 * u.deg
    assert location["latitude"].unit == u.deg
    fields = label["File_Area_Observational"]["Table_Binary"]["Record_Binary"]["Field_Binary"]
    assert len(fields) == 28
    assert fields[0]["name"] == "FRAME_IDENTIFICATION" and fields[0]["data_type"] == "UnsignedByte"
    assert label.find(".//Record_Binary/record_length") == "8307"


def test_find_is_namespace_agnostic(corpus):
    label = af.read_label(corpus / "lro/M102600893LC_VALID.xml")
    assert label.find(".//LRO_Parameters/product_type") == "CDR"
    assert label.findall(".//Observing_System_Component/type") == ["Host", "Instrument"]
    temps = label["Observation_Area"]["Mission_Area"]["LRO_Parameters"]["LROC_Parameters"]
    assert temps["temperature_fpa"].value == pytest.approx(17.86085319519043)


def test_minimal_label_and_mapping():
    label = parse_pds4(f'<Product_Observational {NS}><Identification_Area><logical_identifier>urn:a:b'
                       '</logical_identifier><version_id>1.0</version_id></Identification_Area>'
                       '</Product_Observational>'.encode(), path="mem.xml")
    assert list(label) == ["Identification_Area"]
    assert label.to_dict() == {"Product_Observational": {"Identification_Area": {
        "logical_identifier": "urn:a:b", "version_id": "1.0"}}}


HOSTILE = {
    "billion_laughs": (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                       b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                       b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
                       b'<Product_Observational>&lol3;</Product_Observational>'),
    "xxe_file": (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                 b'<Product_Observational>&x;</Product_Observational>'),
    "xxe_url": (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>'
                b'<Product_Observational>&x;</Product_Observational>'),
    "external_dtd": (b'<?xml version="1.0"?><!DOCTYPE Product_Observational SYSTEM "http://127.0.0.1:9/x.dtd">'
                     b'<Product_Observational/>'),
    "quadratic": (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "' + b"x" * 100000 + b'">]>'
                  b'<Product_Observational>' + b"&a;" * 10000 + b'</Product_Observational>'),
    "deep_nesting": b"<Product_Observational>" + b"<a>" * 100000 + b"</a>" * 100000 + b"</Product_Observational>",
    "truncated": f'<Product_Observational {NS}><Identification_Area><logical_identifier>x'.encode(),
    "not_pds": b'<?xml version="1.0"?><html><body/></html>',
    "binary": b"<\x00\x01\x02\xff\xfe garbage",
    "wrong_encoding": '<?xml version="1.0" encoding="UTF-8"?><Product_Observational>caf\xe9'.encode("latin-1"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_refused_quickly(name, tmp_path):
    path = tmp_path / f"{name}.xml"
    path.write_bytes(HOSTILE[name])
    began = time.perf_counter()
    with pytest.raises(LabelError) as info:
        af.read_label(path)
    assert time.perf_counter() - began < 5  # generous; the point is "never hangs"
    assert str(path) in str(info.value)
    assert "root:" not in str(info.value)  # nothing of /etc/passwd leaks


def test_syntax_error_names_line(tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text(f'<Product_Observational {NS}>\n<Identification_Area>\n<title>x</titl>\n'
                    '</Identification_Area></Product_Observational>')
    with pytest.raises(LabelError) as info:
        af.read_label(path)
    assert info.value.line == 3
    assert str(info.value).startswith(f"{path}:3: ")


def test_chang_e_extension_sniffed_as_xml(tmp_path):
    path = tmp_path / "CE4_GRAS_LPR-1_SCI_N_20231216075001_20231217065500_0001_A.2BL"
    path.write_text(f'<?xml version="1.0"?>\n<Product_Observational {NS}><Identification_Area>'
                    f'<logical_identifier>{path.stem}.2B</logical_identifier></Identification_Area>'
                    '</Product_Observational>')
    assert af.read_label(path).format == "PDS4"


def test_missing_file_is_label_error(tmp_path):
    with pytest.raises(LabelError, match="no such file"):
        af.read_label(tmp_path / "nope.xml")
    assert CORPUS  # the module imports the corpus location even when it is absent


def test_utf16_label_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "utf16.xml"
    path.write_bytes(f'<?xml version="1.0" encoding="UTF-16"?><Product_Observational {NS}/>'.encode("utf-16"))
    with pytest.raises(LabelError, match="UTF-16: PDS4 labels must be UTF-8"):
        af.read_label(path)
