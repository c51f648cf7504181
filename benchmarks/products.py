"""Product data reading speed: ``archive_fed.open_product(...).load()`` against ``pds4_tools.read``,
``pdr.read`` and raw ``numpy.fromfile``, on ~500 MB synthetic products laid out as real labels say, in
the same run.

* PDS4: the Chandrayaan-2 DFSAR label (``Array_2D_Image``, ``ComplexLSB8``, 4386-byte header), its
  axes grown to 8000 x 7800 (499 MB).
* PDS3: the Kaguya TC1 2B0 label (detached ``IMAGE``, ``MSB_INTEGER`` 16-bit, scaling and
  ``INVALID_VALUE`` list), grown to 78000 lines x 3208 samples (500 MB).
* PDS3 packed: a 12-bit ``MSB_UNSIGNED_INTEGER`` IMAGE, 20000 x 4000 (120 MB), against a plain numpy
  unpack of the same bytes (packed images are decoded when opened: "open" holds the work).

"open" is everything up to a dataset/object with lazy data, "load" the read into memory; each row is
the best of ``--rounds`` (files in the page cache after a warm-up read: this measures the readers, not
the disk). Raw values are compared (``mask_and_scale=False``; pdr and pds4_tools unscaled), plus
archive_fed with scaling and masking as an extra row. The products live in a temporary directory that
is deleted at the end.

    python benchmarks/products.py [--rounds 5] [--dir /tmp]
"""
from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import archive_fed as af  # noqa: E402

CORPUS = Path(os.environ.get("ARCHIVE_FED_CORPUS", ROOT.parent / "shared" / "corpus"))
SAR = "chandrayaan2/ch2_sar_ncxs_20090107t163003745_d_sli_xx_fp_hh_pb1_19111.xml"
TC = "kaguya/TC1S2B0_01_06691S820E0465_pds3.lbl"


def write_chunked(path: Path, header: bytes, rows: int, row_maker: Callable[[int, int], np.ndarray]) -> None:
    with open(path, "wb") as stream:
        stream.write(header)
        stream.writelines(row_maker(start, min(rows, start + 4000)).tobytes() for start in range(0, rows, 4000))


def make_pds4(directory: Path) -> tuple[Path, Path, int, tuple[int, int]]:
    lines, samples = 8000, 7800
    text = (CORPUS / SAR).read_text()
    text = text.replace("<elements>50</elements>", f"<elements>{lines}</elements>")
    text = text.replace("<elements>676</elements>", f"<elements>{samples}</elements>")
    label = directory / "sar.xml"
    label.write_text(text)
    data = directory / "ch2_sar_ncxs_20090107t163003745_d_sli_xx_fp_hh_pb1_19111.tiff"
    generator = np.random.default_rng(0)
    write_chunked(data, bytes(4386), lines, lambda a, b: generator.random(
        (b - a, 2 * samples), dtype=np.float32).astype("<f4").view("<c8"))
    return label, data, 4386, (lines, samples)


def make_pds3(directory: Path) -> tuple[Path, Path, tuple[int, int]]:
    lines, samples = 78000, 3208
    text = (CORPUS / TC).read_bytes().decode("latin-1")
    text = text.replace("LINES                            = 400", f"LINES                            = {lines}")
    label = directory / "TC1S2B0_01_06691S820E0465.lbl"
    label.write_bytes(text.encode("latin-1"))
    data = directory / "TC1S2B0_01_06691S820E0465.img"
    generator = np.random.default_rng(1)
    write_chunked(data, b"", lines, lambda a, b: generator.integers(-23000, 32767, size=(b - a, samples),
                                                                     dtype=np.int16).astype(">i2"))
    return label, data, (lines, samples)


def make_packed(directory: Path) -> tuple[Path, Path, tuple[int, int]]:
    """A PDS3 IMAGE of 12-bit MSB samples (no real label in the corpus packs samples): 20000 x 4000."""
    lines, samples = 20000, 4000
    data = directory / "packed12.img"
    generator = np.random.default_rng(2)

    def rows(a: int, b: int) -> np.ndarray:
        values = generator.integers(0, 4096, size=((b - a) * samples // 2, 2), dtype=np.uint16)
        packed = np.empty((values.shape[0], 3), dtype=np.uint8)
        packed[:, 0] = values[:, 0] >> 4
        packed[:, 1] = ((values[:, 0] & 0xF) << 4) | (values[:, 1] >> 8)
        packed[:, 2] = values[:, 1] & 0xFF
        return packed
    write_chunked(data, b"", lines, rows)
    label = directory / "packed12.lbl"
    label.write_text(f'PDS_VERSION_ID = PDS3\n^IMAGE = "packed12.img"\nOBJECT = IMAGE\n LINES = {lines}\n'
                     f" LINE_SAMPLES = {samples}\n SAMPLE_TYPE = MSB_UNSIGNED_INTEGER\n SAMPLE_BITS = 12\n"
                     "END_OBJECT = IMAGE\nEND\n")
    return label, data, (lines, samples)


def numpy_unpack12(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """The baseline: the file read whole and unpacked with numpy shifts (three bytes → two samples)."""
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, 3).astype(np.uint16)
    out = np.empty((raw.shape[0], 2), dtype=np.uint16)
    out[:, 0] = (raw[:, 0] << 4) | (raw[:, 1] >> 4)
    out[:, 1] = ((raw[:, 1] & 0xF) << 8) | raw[:, 2]
    return out.reshape(shape)


def timed_once(open_: Callable[[], Any], load: Callable[[Any], Any]) -> tuple[float, float, Any]:
    gc.collect()
    start = time.perf_counter()
    handle = open_()
    opened = time.perf_counter()
    result = load(handle)
    return opened - start, time.perf_counter() - opened, result


def quiet(function: Callable[[], Any]) -> Callable[[], Any]:
    def call() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function()
    return call


def run(title: str, size: int, cases: list[tuple[str, Callable[[], Any], Callable[[Any], Any]]],
        rounds: int) -> list[tuple[str, str, float, float]]:
    """Best open and load time of each case over ``rounds``, the cases interleaved within each round so
    that drift (page cache, memory compaction) hits every reader alike. Every result must equal the
    first case's (numpy's) before it is thrown away."""
    best = [[float("inf"), float("inf")] for _ in cases]
    for round_ in range(rounds):
        reference = None
        for k, (reader, open_, load) in enumerate(cases):
            opened, loaded, result = timed_once(open_, load)
            best[k] = [min(best[k][0], opened), min(best[k][1], loaded)]
            if k == 0:
                reference = result
            elif round_ == 0 and not reader.endswith("scaled+masked"):
                assert np.array_equal(np.asarray(result), reference), f"{reader} disagrees with numpy"
            del result
        del reference
    return [(f"{title} ({size / 1e6:.0f} MB)" if k == 0 else "", case[0], *best[k])
            for k, case in enumerate(cases)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dir", default=None, help="where to write the ~1 GB of temporary products")
    args = parser.parse_args()
    if not (CORPUS / SAR).is_file() or not (CORPUS / TC).is_file():
        print(f"corpus not found at {CORPUS} (set ARCHIVE_FED_CORPUS)")
        return 2
    import pdr
    import pds4_tools

    directory = Path(tempfile.mkdtemp(prefix="archive_fed_bench_", dir=args.dir))
    try:
        label4, data4, offset4, shape4 = make_pds4(directory)
        label3, data3, shape3 = make_pds3(directory)
        label12, data12, shape12 = make_packed(directory)
        for path in (data4, data3, data12):                      # warm the page cache
            with open(path, "rb") as stream:
                while stream.read(64 << 20):
                    pass
        rows = run("PDS4 Array_2D_Image <c8", data4.stat().st_size, [
            ("numpy.fromfile", lambda: None,
             lambda _: np.fromfile(data4, dtype="<c8", offset=offset4).reshape(shape4)),
            ("archive_fed.open_product", lambda: af.open_product(label4, mask_and_scale=False),
             lambda ds: ds["Array_2D_Image"].values),
            ("pds4_tools.read", quiet(lambda: pds4_tools.read(str(label4), quiet=True, lazy_load=True)),
             lambda structures: np.asarray(structures[0].data)),
        ], args.rounds)
        rows += run("PDS3 IMAGE >i2", data3.stat().st_size, [
            ("numpy.fromfile", lambda: None, lambda _: np.fromfile(data3, dtype=">i2").reshape(shape3)),
            ("archive_fed.open_product", lambda: af.open_product(label3, mask_and_scale=False),
             lambda ds: ds["IMAGE"].values),
            ("pdr.read", quiet(lambda: pdr.read(str(label3))), lambda data: np.asarray(data["IMAGE"])),
            ("archive_fed scaled+masked", lambda: af.open_product(label3), lambda ds: ds["IMAGE"].values),
        ], args.rounds)
        rows += run("PDS3 IMAGE 12-bit packed", data12.stat().st_size, [
            ("numpy unpack (shifts)", lambda: None, lambda _: numpy_unpack12(data12, shape12)),
            ("archive_fed.open_product", lambda: af.open_product(label12, mask_and_scale=False),
             lambda ds: ds["IMAGE"].values),
        ], args.rounds)
    finally:
        shutil.rmtree(directory, ignore_errors=True)

    print(f"{'product':<34} {'reader':<26} {'open s':>7} {'load s':>7} {'total s':>7} {'vs numpy':>8}")
    baseline = 1.0
    for product, reader, opened, loaded in rows:
        total = opened + loaded
        if product:
            baseline = total
        print(f"{product:<34} {reader:<26} {opened:7.3f} {loaded:7.3f} {total:7.3f} {total / baseline:7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
