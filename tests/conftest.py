"""Shared test fixtures: where the real-label corpus is, and skipping when it is absent."""
from __future__ import annotations

from pathlib import Path

import pytest

from archive_fed.testing.corpus import CORPUS, CORPUS_MISSING

ROOT = Path(__file__).resolve().parents[1]

PDS3_SUFFIXES = {".lbl", ".pvl"}
PDS4_SUFFIXES = {".xml", ".2bl", ".2cl"}


def corpus_files(*suffixes: str) -> list[Path]:
    """Corpus files with one of ``suffixes`` (lower case), sorted; empty when the corpus is absent."""
    if not CORPUS.is_dir():
        return []
    wanted = {s.lower() for s in suffixes}
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix.lower() in wanted)


def corpus_params(*suffixes: str) -> list:
    """pytest parameters over corpus files, ids relative to the corpus; one skipped param if absent."""
    files = corpus_files(*suffixes)
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason=CORPUS_MISSING), id="no-corpus")]
    return [pytest.param(p, id=str(p.relative_to(CORPUS))) for p in files]


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The corpus folder; skips the test when it is absent (session scope: it is set up, and skips,
    before any module fixture that reads corpus files)."""
    if not CORPUS.is_dir():
        pytest.skip(CORPUS_MISSING)
    return CORPUS
