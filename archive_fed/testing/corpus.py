"""Where the real-label corpus is (``ARCHIVE_FED_CORPUS``, else ``../shared/corpus`` beside the checkout) and
the sample archive shipped in the package. Builders read corpus files in place; they never copy them."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "archive_fed" / "sample"
CORPUS = Path(os.environ.get("ARCHIVE_FED_CORPUS", ROOT.parent / "shared" / "corpus"))
CORPUS_MISSING = "the real-label corpus ../shared/corpus is absent (set ARCHIVE_FED_CORPUS to its path)"
