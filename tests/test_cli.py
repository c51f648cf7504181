"""The archive-fed command line: inspect (corpus, JSON, errors), demo (the README's first command), search."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import archive_fed as af
from archive_fed.cli import main
from archive_fed.record import FIELDS
from tests.conftest import corpus_params

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path", corpus_params(".lbl", ".pvl", ".xml", ".2bl"))
def test_inspect_json_prints_one_record_object(path, capsys):
    assert main(["inspect", str(path), "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    record = json.loads(out[0])
    assert set(record) == set(FIELDS)
    assert record == af.normalize(af.read_label(path)).to_dict()
    for key in ("start_time", "stop_time", "harvested_at"):
        assert record[key] is None or record[key].endswith("Z")


def test_inspect_exit_codes_and_error_lines(tmp_path, capsys):
    good = tmp_path / "good.lbl"
    good.write_text('PDS_VERSION_ID = PDS3\nPRODUCT_ID = "P1"\nDATA_SET_ID = "DS"\nTARGET_NAME = MOON\nEND\n')
    bad = tmp_path / "bad.lbl"
    bad.write_text('PDS_VERSION_ID = PDS3\nOBJECT = IMAGE\n  LINES = 3\nEND\n')
    assert main(["inspect", str(good)]) == 0
    assert "DS/P1" in capsys.readouterr().out
    assert main(["inspect", str(good), str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}:") and "Traceback" not in err
    assert main(["inspect", str(bad)]) == 2
    assert main(["inspect", str(tmp_path / "missing.xml")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["inspect"]) == 2  # usage error
    assert main(["--version"]) == 0


def test_inspect_hostile_input_has_no_traceback(tmp_path):
    garbage = tmp_path / "garbage.lbl"
    garbage.write_bytes(bytes(range(256)) * 10)
    result = subprocess.run([sys.executable, "-m", "archive_fed.cli", "inspect", str(garbage)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and str(garbage) in result.stderr


def test_demo_harvests_the_sample_archive_and_reruns_incrementally(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "archive_fed.cli", "demo", "--no-progress"]
    first = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert first.returncode == 0, first.stderr
    assert "found 8, new 8" in first.stdout and "found 7, new 7" in first.stdout
    assert "TC1S2B0_01_05307S001E3596" in first.stdout  # the meridian-crossing search example
    catalog = af.Catalog.open(str(tmp_path / "catalogs" / "demo.zarr"))
    assert len(catalog) == 15
    assert {r.mission for r in catalog.records()} == {"kaguya", "lro", "change-4", "kplo"}
    assert all(os.path.isfile(r.label_url) for r in catalog.records())  # the loopback server is gone
    tc = next(r for r in catalog.records() if r.product_id == "TC1S2B0_01_05307S001E3596")
    image = af.open_product(tc)
    assert image[next(iter(image.data_vars))].shape == (24, 32)
    second = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert second.returncode == 0
    assert "new 0, updated 0, unchanged 8" in second.stdout and "unchanged 7" in second.stdout
    search = subprocess.run([sys.executable, "-m", "archive_fed.cli", "search", "--catalog",
                             "catalogs/demo.zarr", "--mission", "KPLO", "--format", "json"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert search.returncode == 0
    hits = json.loads(search.stdout)
    assert len(hits) == 2 and all(h["targets"] == ["Earth", "Moon"] and h["target"] == "Moon" for h in hits)


def test_sources_lists_builtin_sources(capsys):
    assert main(["sources"]) == 0
    out = capsys.readouterr().out
    assert "pds3-volume" in out and "pds4-bundle" in out
