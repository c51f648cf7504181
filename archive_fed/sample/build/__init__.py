"""The sample archive generator, split by dialect: :mod:`.common` (clocks, formatting, pixel formulas),
:mod:`.kaguya`, :mod:`.lroc_pds3` and :mod:`.volume` (the PDS3 volume), :mod:`.change4`, :mod:`.pds4_xml`,
:mod:`.lroc_pds4`, :mod:`.shadowcam` and :mod:`.bundle` (the PDS4 bundle). :func:`build` returns every file;
:func:`write` puts them on disk; :func:`main` is ``python -m archive_fed.sample.make_sample``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .bundle import build_pds4
from .common import BUNDLE_LID, VOLUME_ID
from .volume import build_pds3

SAMPLE_ROOT = Path(__file__).resolve().parents[1]

__all__ = ["BUNDLE_LID", "VOLUME_ID", "build", "build_pds3", "build_pds4", "main", "write"]


def build() -> dict[str, bytes]:
    """Every file of the sample archive: path relative to the sample folder -> bytes."""
    files, _ = build_pds3()
    pds4, _ = build_pds4()
    files.update(pds4)
    return dict(sorted(files.items()))


def write(out: Path, clean: bool = False) -> list[Path]:
    out = Path(out)
    files = build()
    if clean:
        for top in ("pds3_volume", "pds4_bundle"):
            for old in sorted((out / top).rglob("*"), reverse=True) if (out / top).exists() else []:
                if old.is_file() and str(old.relative_to(out)).replace("\\", "/") not in files:
                    old.unlink()
    written = []
    for rel, data in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archive_fed.sample.make_sample", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=SAMPLE_ROOT, help="output folder (default: the package's sample folder)")
    parser.add_argument("--clean", action="store_true", help="remove files the generator no longer writes")
    parser.add_argument("--list", action="store_true", help="print the products instead of writing")
    args = parser.parse_args(argv)
    if args.list:
        for group in (build_pds3()[1], build_pds4()[1]):
            for item in group:
                print(item)
        return 0
    written = write(args.out, clean=args.clean)
    total = sum(p.stat().st_size for p in written)
    print(f"wrote {len(written)} files ({total} bytes) under {args.out}")
    return 0
