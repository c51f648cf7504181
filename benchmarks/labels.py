"""Label reading speed on the real corpus, in one run: PDS3 (``read_label`` vs pdr's parser and pvl, with a
value-by-value comparison against pvl — see ``labels_pds3.py``) and PDS4 metadata (``read_label`` +
``normalize`` vs ``pds4_tools.read(..., lazy_load=True)``).

    python benchmarks/labels.py [--seconds 0.5] [--rounds 5]
"""
from __future__ import annotations

import argparse
import logging
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import pds4_tools  # noqa: E402

import archive_fed as af  # noqa: E402
import labels_pds3  # noqa: E402


def pds4_labels() -> list[Path]:
    return sorted(p for p in labels_pds3.CORPUS.rglob("*")
                  if p.is_file() and p.suffix.lower() in {".xml", ".2bl", ".2cl"})


def pds4_tools_read(path: Path) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pds4_tools.read(str(path), lazy_load=True, quiet=True, no_scale=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("PDS4ToolsLogger").setLevel(logging.CRITICAL)

    print("== PDS3 ==")
    sys.argv = [sys.argv[0], "--seconds", str(args.seconds), "--rounds", str(args.rounds)]
    labels_pds3.main()

    files = pds4_labels()
    readable = []
    for path in files:  # pds4_tools cannot read every real label (e.g. Chang'e's UnsignedByte fields)
        try:
            pds4_tools_read(path)
            readable.append(path)
        except Exception:  # noqa: BLE001 - the baseline's failures are reported, not fatal
            pass
    rate = labels_pds3.labels_per_second
    ours = rate(lambda p: af.read_label(p), readable, args.seconds, args.rounds)
    ours_normalized = rate(lambda p: af.normalize(af.read_label(p)), readable, args.seconds, args.rounds)
    theirs = rate(pds4_tools_read, readable, args.seconds, max(1, args.rounds // 2))
    print(f"\n== PDS4 == {len(files)} corpus labels; pds4_tools reads {len(readable)} of them "
          f"(lazy_load=True); timed on those")
    print(f"{'reader':<40} {'labels/s':>10} {'vs pds4_tools':>14}")
    for name, value in (("archive_fed read_label", ours), ("archive_fed read_label + normalize", ours_normalized),
                        ("pds4_tools.read(lazy_load=True)", theirs)):
        print(f"{name:<40} {value:>10.0f} {value / theirs:>13.1f}x")
    all_ours = sum(1 for p in files if af.read_label(p))
    print(f"archive_fed reads {all_ours} of {len(files)} PDS4 labels")


if __name__ == "__main__":
    main()
