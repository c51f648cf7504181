"""The embedded sample archive: a tiny PDS3 volume and a tiny PDS4 bundle of lunar products.

Every file under ``pds3_volume/`` and ``pds4_bundle/`` is written by :mod:`archive_fed.sample.make_sample`
(``python -m archive_fed.sample.make_sample``), byte for byte reproducibly. The labels follow the dialects of
the real archives (JAXA DARTS Kaguya PDS3, LROC PDS3 EDR, GRAS Chang'e-4 PDS4-style XML, LROC PDS4 migration
labels, KPLO ShadowCam PDS4); the products, ids and values are invented. See ``README.md`` in this folder.
"""
from __future__ import annotations

from pathlib import Path

SAMPLE_ROOT: Path = Path(__file__).resolve().parent
PDS3_VOLUME: Path = SAMPLE_ROOT / "pds3_volume"
PDS4_BUNDLE: Path = SAMPLE_ROOT / "pds4_bundle"

__all__ = ["SAMPLE_ROOT", "PDS3_VOLUME", "PDS4_BUNDLE"]
