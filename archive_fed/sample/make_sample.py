"""Write the embedded sample archive (``pds3_volume/`` and ``pds4_bundle/``) deterministically.

    python -m archive_fed.sample.make_sample [--out DIR]

The generator lives in :mod:`archive_fed.sample.build`, one module per dialect; this module is its entry point.

Every data file is generated here from integer formulas (no random numbers, no transcendental functions, so
the bytes are the same on every platform), and every label is filled from the templates there with the
sizes, checksums, byte offsets, record pointers, row counts and image statistics computed from those bytes.
Running it twice gives byte-identical trees (``tests/test_sample_archive.py`` checks this).

The labels imitate the dialects of the real archives (see ``../../shared/corpus`` in the project checkout):

* JAXA DARTS Kaguya PDS3: detached TC ``.lbl`` (CRLF, ``/*** ... ***/`` comments, aligned ``=``), attached
  MI-VIS Level 2B2 and MI_MAP labels (LF, ``Object = IMAGE`` ... ``End_Object``, wrapped sequences);
* LROC PDS3 EDR (attached, FIXED_LENGTH records, ``^IMAGE`` record pointer, MD5_CHECKSUM);
* GRAS Chang'e-4 LPR ``.2BL`` (PDS4-style XML, IM 1.5.0.0, tabs, literal ``None``, binary tables);
* LROC PDS4 migration labels (``lro:`` Mission_Area) over a PDS3 ``.IMG`` (Header + Array_2D_Image);
* KPLO ShadowCam PDS4 (targets Earth and Moon, cart Bounding_Coordinates).

All products, ids and values are invented; none is a copy of a real product.
"""
from __future__ import annotations

import sys

from .build import BUNDLE_LID, VOLUME_ID, build, build_pds3, build_pds4, main, write

__all__ = ["BUNDLE_LID", "VOLUME_ID", "build", "build_pds3", "build_pds4", "main", "write"]

if __name__ == "__main__":
    sys.exit(main())
