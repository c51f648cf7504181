"""Seeded, bounded fuzzing of the PDS3 reader, the PDS4 reader and the index-table parser.

Whatever the input, a reader returns a label (rows) or raises an ArchiveFedError subclass, and so
does normalize() on whatever a reader accepted; no input takes more than a couple of seconds. Inputs
come from grammars (PDS3 statements, values, units and blocks; PDS4 element trees with attributes,
entities and encodings; index labels and tables) and from grammar-aware mutations of the real corpus
(the mutators of ``tools/fuzz_labels.py``, the harness for long atheris runs, whose targets these
tests call). Hypothesis is derandomized: CI sees the same examples every run.
"""
from __future__ import annotations

import importlib.util
import os
import random
import subprocess
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive_fed.errors import LabelError, LabelWarning
from archive_fed.labels.index_table import product_paths, read_index_table
from archive_fed.labels.pds3 import parse_pds3
from tests.conftest import CORPUS, CORPUS_MISSING
from tests.reliability.limits import PYTHON, ROOT, TIME_LIMIT, child_env

pytestmark = pytest.mark.timeout(600)

_spec = importlib.util.spec_from_file_location("fuzz_labels", ROOT / "tools" / "fuzz_labels.py")
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)

EXAMPLES = int(os.environ.get("ARCHIVE_FED_FUZZ_EXAMPLES", "400"))
FUZZ = settings(derandomize=True, max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])


@pytest.fixture(autouse=True)
def _quiet_lenient_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LabelWarning)
        yield


def check(target: str, data: bytes) -> None:
    """Run one input through a harness target: only ArchiveFedError may escape, within the bound."""
    harness.run_one(target, data, timeout=TIME_LIMIT)


# ------------------------------------------------------------------ PDS3 grammar

KEYWORDS = st.one_of(
    st.sampled_from(["PDS_VERSION_ID", "RECORD_TYPE", "RECORD_BYTES", "FILE_RECORDS", "^IMAGE", "^TABLE",
                     "DATA_SET_ID", "PRODUCT_ID", "TARGET_NAME", "START_TIME", "STOP_TIME", "MISSION_NAME",
                     "INSTRUMENT_ID", "MAXIMUM_LATITUDE", "WESTERNMOST_LONGITUDE", "CENTER_LATITUDE",
                     "Kaguya:MIXED_case", "END_", "ENDX", "NULL", "NAN", "OBJECT_X"]),
    st.from_regex(r"\A[A-Za-z^][A-Za-z0-9_:]{0,10}\Z"))
UNITS = st.sampled_from(["m", "km", "deg", "DEGREE", "BYTES", "s", "(m, s)", "pix/deg", "km/pixel", "",
                         "m-\r\n  s", "<", "1/0", "10**999 m"])
QUOTED_CHARS = st.characters(codec="latin-1", exclude_characters='"')
PRINTABLE = st.characters(min_codepoint=32, max_codepoint=126, exclude_characters='"')
SCALARS = st.one_of(
    st.integers(-(10 ** 40), 10 ** 40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: repr(f).upper()),
    st.text(PRINTABLE, max_size=24).map(lambda t: f'"{t}"'),
    st.text(QUOTED_CHARS, max_size=24).map(lambda t: f'"{t}"'),
    st.text(st.characters(codec="ascii", exclude_characters="'"), max_size=12).map(lambda t: f"'{t}'"),
    st.from_regex(r"\A[A-Z][A-Z0-9_]{0,8}\Z"),
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.strftime("%Y-%jT%H:%M:%S.%f") + "Z"),
    st.sampled_from(["16#FF#", "2#1010#", "8#777#", "-16#7F#", "16#GG#", "36#Z#", "NULL", "N/A", "UNK",
                     "TRUE", "FALSE", "NaN", "-INF", "1e999", "2008-366T24:00:00", "9999-99-99", "-",
                     "1.0E308", "-0"]))
VALUES = st.recursive(
    st.tuples(SCALARS, st.one_of(st.none(), UNITS)).map(lambda su: su[0] if su[1] is None
                                                        else f"{su[0]} <{su[1]}>"),
    lambda inner: st.one_of(st.lists(inner, max_size=5).map(lambda xs: "(" + ", ".join(xs) + ")"),
                            st.lists(inner, max_size=5).map(lambda xs: "{" + ", ".join(xs) + "}")),
    max_leaves=12)
ASSIGNMENTS = st.tuples(KEYWORDS, VALUES).map(lambda kv: f"{kv[0]} = {kv[1]}")
NOISE = st.one_of(
    st.sampled_from(["OBJECT = IMAGE", "END_OBJECT = IMAGE", "END_OBJECT", "OBJECT = TABLE", "GROUP = G",
                     "END_GROUP = G", "END_GROUP", "BEGIN_OBJECT = X", "END", "/* comment */", "/* open",
                     "# pvl comment", "KEY =", "= 1", ";", "KEY = (1, 2", "KEY = \"open", "A = -\r\n  1",
                     "OBJECT = COLUMN", "END_OBJECT = COLUMN"]),
    st.text(st.characters(codec="latin-1"), max_size=8))


def _block(parts) -> str:
    kind, name, inner, closing = parts
    return f"{kind} = {name}\r\n" + "\r\n".join(inner) + f"\r\nEND_{kind}" + (f" = {name}" if closing else "")


BLOCKS = st.recursive(
    ASSIGNMENTS,
    lambda inner: st.tuples(st.sampled_from(["OBJECT", "GROUP"]), st.from_regex(r"\A[A-Z][A-Z_]{0,8}\Z"),
                            st.lists(inner, max_size=5), st.booleans()).map(_block),
    max_leaves=20)
STATEMENTS = st.one_of(*[BLOCKS] * 12, NOISE)
SKELETONS = st.sampled_from([
    "", 'DATA_SET_ID = "SLN-L-TC-3-S-LEVEL2B0-V1.0"\r\nPRODUCT_ID = "TC1_FUZZ"\r\nMISSION_NAME = SELENE\r\n'
        'INSTRUMENT_ID = TC1\r\nTARGET_NAME = MOON\r\n',
    'DATA_SET_ID = "LRO-L-LROC-2-EDR-V1.0"\r\nPRODUCT_ID = M1\r\nINSTRUMENT_HOST_NAME = "LUNAR '
    'RECONNAISSANCE ORBITER"\r\nRECORD_TYPE = FIXED_LENGTH\r\n^IMAGE = ("M1.IMG", 2)\r\n',
    'DATA_SET_ID = DS\r\nPRODUCT_ID = P\r\n'])


@st.composite
def pds3_labels(draw) -> bytes:
    head = draw(st.sampled_from(["", "PDS_VERSION_ID = PDS3\r\n", "\ufeffPDS_VERSION_ID = PDS3\n",
                                 "CCSD3ZF0000100000001NJPL3IF0PDS200000001 = SFDU_LABEL\r\n"]))
    statements = [draw(SKELETONS)] + draw(st.lists(STATEMENTS, max_size=30))
    separator = draw(st.sampled_from(["\r\n", "\n", "\r", " ", ";", "\r\n\r\n", "\t"]))
    end = draw(st.sampled_from(["END\r\n", "END", "", "END\x00\xff\xd8", "end\n", "END  /* x */\r\n"]))
    text = head + separator.join(statements) + separator + end
    encoding = draw(st.sampled_from(["ascii", "latin-1", "utf-8"]))
    return text.encode(encoding, errors="replace") + draw(st.binary(max_size=32))


@FUZZ
@given(pds3_labels())
def test_pds3_grammar(data):
    check("pds3", data)


@FUZZ
@given(st.binary(max_size=1024))
def test_pds3_and_sniffing_raw_bytes(data):
    check("pds3", data)
    check("sniffed", data)


# ------------------------------------------------------------------ PDS4 grammar

NAMES = ["Identification_Area", "logical_identifier", "version_id", "title", "product_class",
         "Observation_Area", "Time_Coordinates", "start_date_time", "stop_date_time", "Target_Identification",
         "name", "type", "Investigation_Area", "Observing_System", "Observing_System_Component",
         "Primary_Result_Summary", "processing_level", "Discipline_Area", "Bounding_Coordinates",
         "west_bounding_coordinate", "east_bounding_coordinate", "north_bounding_coordinate",
         "south_bounding_coordinate", "File_Area_Observational", "File", "file_name", "file_size",
         "md5_checksum", "Mission_Area", "product_id", "product_level", "instrument_id", "Lander_Location",
         "longitude", "latitude", "a", "x:b"]
VALID_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=20).map(
    lambda t: t.replace("&", "&amp;").replace("<", "&lt;"))
TEXTS = st.one_of(
    VALID_TEXT, VALID_TEXT, VALID_TEXT,
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20),
    st.sampled_from(["urn:nasa:pds:a:b:c", "urn:nasa:pds:a::1.0", "2008-01-01T00:00:00Z", "2008-13-45T99:99Z",
                     "Moon", "Lunar", "MOON", "-91.5", "400", "1e999", "nan", "Calibrated", "2B",
                     "&amp;", "&lt;", "&#0;", "&#x1F600;", "&#xD800;", "&undefined;", "<![CDATA[x<y]]>",
                     "<!-- c -->", "<?pi x?>", "]]>", "&", "<"]))
ATTRIBUTE = st.tuples(st.sampled_from(["unit", "nil_reason", "xsi:nil", "a", "xmlns", "xmlns:x", "unit"]),
                      st.sampled_from(["deg", "km", "m", "byte", "", "urn:x", "\"", "&x;", "<", "deg"]))
ATTRIBUTES = st.one_of(st.just([]), st.just([]), st.lists(ATTRIBUTE, max_size=2))


def _element(parts) -> str:
    name, attributes, children = parts
    attrs = "".join(f' {k}="{v}"' for k, v in attributes)
    return f"<{name}{attrs}>{''.join(children)}</{name}>"


ELEMENTS = st.recursive(
    st.tuples(st.sampled_from(NAMES), ATTRIBUTES, st.lists(TEXTS, max_size=1)).map(_element),
    lambda inner: st.tuples(st.sampled_from(NAMES), ATTRIBUTES, st.lists(inner, max_size=5)).map(_element),
    max_leaves=25)


@st.composite
def pds4_labels(draw) -> bytes:
    prolog = draw(st.sampled_from(['<?xml version="1.0" encoding="UTF-8"?>\n'] * 6 + ["", "\ufeff",
                                   '<?xml version="1.0" encoding="ISO-8859-1"?>', '<?xml version="1.1"?>',
                                   '<?xml version="1.0" encoding="UTF-16"?>', "<!DOCTYPE p>",
                                   '<!DOCTYPE p [<!ENTITY x "y">]>']))
    root = draw(st.sampled_from(["Product_Observational"] * 6 + ["Product_Bundle", "Product_Collection",
                                                                  "Product_Document", "html",
                                                                  "pds:Product_Observational"]))
    namespace = draw(st.sampled_from(['xmlns="http://pds.nasa.gov/pds4/pds/v1"'] * 6 + ["",
                                      'xmlns:pds="http://pds.nasa.gov/pds4/pds/v1"', 'xmlns="urn:other"']))
    identification = draw(st.sampled_from([
        "", *["<Identification_Area><logical_identifier>urn:nasa:pds:fuzz:data:x</logical_identifier>"
            "<version_id>1.0</version_id><title>t</title></Identification_Area>"] * 4]))
    body = "".join(draw(st.lists(ELEMENTS, max_size=4)))
    closing = root if draw(st.integers(0, 9)) else root.split(":")[-1]
    text = f"{prolog}<{root} {namespace}>{identification}{body}</{closing}>"
    encoding = draw(st.sampled_from(["utf-8"] * 6 + ["utf-16-le", "utf-16", "latin-1"]))
    data = text.encode(encoding, errors="replace")
    cut = draw(st.one_of(st.none(), st.none(), st.none(), st.integers(0, len(data))))
    return data if cut is None else data[:cut]


@FUZZ
@given(pds4_labels())
def test_pds4_grammar(data):
    check("pds4", data)
    check("sniffed", data)


# ------------------------------------------------------------------ index tables

COLUMN_VALUES = st.one_of(st.integers(-5, 300), st.none(), st.just(10 ** 20), st.floats(allow_nan=True),
                          st.text(max_size=3), st.lists(st.integers(0, 9), max_size=2))
COLUMNS = st.one_of(
    st.fixed_dictionaries({
        "NAME": st.one_of(st.sampled_from(["FILE_SPECIFICATION_NAME", "PATH_NAME", "FILE_NAME", "PRODUCT_ID",
                                           "VOLUME_ID"]), st.none(), st.integers(), st.text(max_size=5)),
        "START_BYTE": COLUMN_VALUES, "BYTES": COLUMN_VALUES}),
    st.integers(), st.text(max_size=4), st.none())
FIELDS = st.one_of(st.text(st.characters(codec="latin-1"), max_size=12),
                   st.text(max_size=12).map(lambda t: f'"{t}"'),
                   st.sampled_from(['"DATA/X.LBL"', '"../../etc/passwd"', '"/abs/X.LBL"', '"http://h/x.LBL"',
                                    '"file:///x"', '"a,b"', '"unterminated', '""', "\x00", "\\..\\x"]))
ROWS = st.lists(st.lists(FIELDS, max_size=7).map(",".join), max_size=12)


@FUZZ
@given(st.one_of(st.lists(COLUMNS, max_size=6), COLUMNS), st.one_of(st.integers(-1, 300), st.none(),
       st.text(max_size=3), st.floats(allow_nan=True)), ROWS, st.sampled_from(["\r\n", "\n", "\r", "\n\r"]),
       st.one_of(st.none(), st.binary(max_size=200)))
def test_index_table_parser(columns, row_bytes, rows, line_end, raw):
    label = {"INDEX_TABLE": {"ROW_BYTES": row_bytes, "COLUMN": columns}}
    data = raw if raw is not None else (line_end.join(rows) + line_end).encode("latin-1", errors="replace")
    try:
        table = read_index_table(label, data, path="INDEX.TAB")
    except LabelError as error:
        assert error.path == "INDEX.TAB"
        return
    assert isinstance(table, list) and all(isinstance(row, dict) for row in table)
    for relative, _row in product_paths(table):
        assert isinstance(relative, str) and "\\" not in relative


@FUZZ
@given(st.data())
def test_index_label_and_table_mutations(data):
    seeds = harness.seeds("index")
    if not seeds:
        pytest.skip("no index seed (archive_fed/sample/pds3_volume/INDEX)")
    rng = random.Random(data.draw(st.integers(0, 2 ** 32), label="mutation seed"))
    mutated = rng.choice(seeds)
    for _ in range(data.draw(st.integers(1, 8), label="mutations")):
        mutated = harness.mutate_index(mutated, rng)
    check("index", mutated)


def test_column_keyword_instead_of_object_is_a_label_error():
    label = parse_pds3(b"OBJECT = INDEX_TABLE\r\n  COLUMN = 5\r\nEND_OBJECT = INDEX_TABLE\r\nEND\r\n")
    with pytest.raises(LabelError, match="COLUMN 1 is not an OBJECT"):
        read_index_table(label, b'"A"\r\n', path="INDEX.TAB")
    with pytest.raises(LabelError):
        read_index_table({"INDEX_TABLE": {"COLUMN": 5}}, b'"A"\r\n', path="INDEX.TAB")


# ------------------------------------------------------------------ mutations of the real corpus

def _corpus(kind: str) -> list[bytes]:
    if not CORPUS.is_dir():
        pytest.skip(CORPUS_MISSING)
    return [s for s in harness.seeds(kind) if s]


@pytest.mark.parametrize("kind, targets", [("pds3", ("pds3", "sniffed")), ("pds4", ("pds4", "sniffed"))])
@FUZZ
@given(data=st.data())
def test_grammar_aware_mutations_of_corpus_labels(kind, targets, data):
    seeds = _corpus(kind)
    rng = random.Random(data.draw(st.integers(0, 2 ** 32), label="mutation seed"))
    label = seeds[data.draw(st.integers(0, len(seeds) - 1), label="corpus label")]
    for _ in range(data.draw(st.integers(1, 10), label="mutations")):
        label = harness.MUTATORS[kind](label, rng)
    for target in targets:
        check(target, label)


# ------------------------------------------------------------------ regressions found by fuzzing

def test_normalize_huge_file_records_gives_a_record_without_a_size():
    from archive_fed import normalize

    label = parse_pds3(b'PDS_VERSION_ID = PDS3\r\nDATA_SET_ID = "D"\r\nPRODUCT_ID = "P"\r\n'
                       b'RECORD_TYPE = FIXED_LENGTH\r\nRECORD_BYTES = 5064\r\nFILE_RECORDS = 1.0E308\r\n'
                       b'^IMAGE = "P.IMG"\r\nEND\r\n')
    record = normalize(label)   # found by fuzzing: int(1e308 * 5064) overflowed
    assert record.uid == "D/P" and record.file_size is None


# ------------------------------------------------------------------ the long-run harness


def test_harness_plain_loop_runs_clean():
    run = subprocess.run([PYTHON, str(ROOT / "tools" / "fuzz_labels.py"), "--plain", "--iterations", "300",
                          "--seed", "20240615"], capture_output=True, text=True, cwd=ROOT, env=child_env(),
                         timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "no failure" in run.stderr


def test_harness_runs_under_atheris():
    pytest.importorskip("atheris", reason="atheris is not installed (optional: pip install atheris)")
    run = subprocess.run([PYTHON, str(ROOT / "tools" / "fuzz_labels.py"), "-atheris_runs=200", "-seed=1"],
                         capture_output=True, text=True, cwd=ROOT, env=child_env(), timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-3000:]


def test_harness_reports_a_failure(tmp_path, monkeypatch):
    """A target that lets a non-ArchiveFedError escape is reported, with its input saved."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(harness.TARGETS, "pds3", lambda data: [][1])
    assert harness.run_plain(3, 0, 2.0, ["pds3"]) == 1
    assert list(tmp_path.glob("fuzz-failure-*.bin"))
    monkeypatch.setitem(harness.TARGETS, "pds3", lambda data: __import__("time").sleep(5))
    with pytest.raises(harness.Slow):
        harness.run_one("pds3", b"x", timeout=0.2)


def test_harness_without_atheris_explains_itself():
    if importlib.util.find_spec("atheris") is not None:
        pytest.skip("atheris is installed")
    run = subprocess.run([PYTHON, str(ROOT / "tools" / "fuzz_labels.py")], capture_output=True, text=True,
                         cwd=ROOT, env=child_env(), timeout=120, check=False)
    assert run.returncode == 2 and "--plain" in run.stderr
