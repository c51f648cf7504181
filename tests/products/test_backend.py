"""The xarray side: engine entry point, laziness (memory maps, nothing read until indexed), dask chunks,
remote byte ranges over a loopback HTTP archive, and the range planner against numpy."""
from __future__ import annotations

import resource
import time
import uuid

import fsspec
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import archive_fed as af
from archive_fed.products import PDSBackendEntrypoint, ProductWarning
from archive_fed.products.io import MERGE_GAP, RemoteFile
from archive_fed.products.layout import Strided
from tests.products.conftest import backend_array, copy_label, corpus_file, rng, write_attached
from archive_fed.testing.servers import ArchiveServer


@pytest.fixture
def tc_product(tmp_path):
    label = copy_label("kaguya/TC1S2B0_01_00811N526E0443_mini.lbl", tmp_path)
    raw = rng(30).integers(0, 30000, size=(3, 1744)).astype(">i2")
    raw[1, 5] = -22000
    raw.tofile(tmp_path / "TC1S2B0_01_00811N526E0443_mini.img")
    return label, raw


# ---- the engine ---------------------------------------------------------------------------------------
def test_open_dataset_with_the_entrypoint_class(tc_product):
    label, raw = tc_product
    ds = xr.open_dataset(label, engine=PDSBackendEntrypoint)
    assert ds["IMAGE"].dtype == np.float32 and np.isnan(ds["IMAGE"].values[1, 5])
    raw_ds = xr.open_dataset(label, engine=PDSBackendEntrypoint, mask_and_scale=False)
    np.testing.assert_array_equal(raw_ds["IMAGE"].values, raw)
    nothing = xr.open_dataset(label, engine=PDSBackendEntrypoint, drop_variables=["IMAGE"])
    assert "IMAGE" not in nothing


def test_registered_engine_name(tc_product):
    if "pds" not in xr.backends.list_engines():
        pytest.skip("the pds entry point is not installed in this environment (pip install -e .)")
    label, raw = tc_product
    np.testing.assert_array_equal(xr.open_dataset(label, engine="pds", mask_and_scale=False)["IMAGE"], raw)


def test_guess_can_open(tmp_path, tc_product):
    label, _ = tc_product
    entry = PDSBackendEntrypoint()
    assert entry.guess_can_open(str(label))
    assert entry.guess_can_open(corpus_file("changee/CE4_GRAS_LPR-1_SCI_N_20231216075001_20231217065500_"
                                            "0316_A.2BL"))
    assert entry.guess_can_open(corpus_file("clps/PITMS_RAW_AUX.xml"))
    attached = write_attached(corpus_file("lro/nacl.lbl"), tmp_path / "nacl.img", {})
    assert entry.guess_can_open(attached)
    (tmp_path / "other.xml").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "raw.img").write_bytes(bytes(100))
    assert not entry.guess_can_open(tmp_path / "other.xml")
    assert not entry.guess_can_open(tmp_path / "raw.img")
    assert not entry.guess_can_open("data.nc")
    assert entry.guess_can_open(af.read_label(label))


def test_dask_chunks(tc_product):
    label, raw = tc_product
    ds = af.open_product(label, chunks={"line": 1, "sample": 1000})
    image = ds["IMAGE"]
    assert image.chunks == ((1, 1, 1), (1000, 744))
    expected = raw.astype(np.float32) * np.float32(0.013)
    expected[1, 5] = np.nan
    np.testing.assert_array_equal(image.compute().values, expected)
    auto = af.open_product(af.read_label(label), chunks="auto", mask_and_scale=False)
    np.testing.assert_array_equal(auto["IMAGE"].values, raw)


# ---- laziness -----------------------------------------------------------------------------------------
def test_200_mb_image_is_not_read_until_indexed(tmp_path):
    lines = 41_000                                     # 41000 x 5064 bytes = 208 MB
    label = copy_label("lro/M103595705LE_pds3.lbl", tmp_path, name="big.lbl",
                       replace={"LINES                          = 400": f"LINES = {lines}"})
    path = tmp_path / "big.img"
    with open(path, "wb") as stream:                 # sparse: only the label and two lines are written
        stream.write(label.read_bytes().ljust(5064, b" "))
        stream.truncate(5064 * (lines + 1))
        row = rng(31).integers(0, 256, size=(2, 5064)).astype(np.uint8)
        stream.seek(5064 * (1 + 30_000))
        stream.write(row.tobytes())
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    ds = af.open_product(path)
    elapsed = time.perf_counter() - start
    array = backend_array(ds["IMAGE"])
    assert ds["IMAGE"].shape == (lines, 5064) and ds["IMAGE"].nbytes > 200e6
    assert array.source.bytes_read == 0 and elapsed < 1.0
    window = ds["IMAGE"][30_000:30_002, :].values
    np.testing.assert_array_equal(window, row)
    assert array.source.bytes_read == 2 * 5064
    assert float(ds["IMAGE"][17, 17]) == 0
    assert array.source.bytes_read == 2 * 5064 + 1
    rss_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert rss_growth_mb < 100


# ---- remote -------------------------------------------------------------------------------------------
def _data_requests(server, name):
    return [r for r in server.received if r.path.endswith(name) and r.method == "GET"]


def _range_bytes(record) -> int:
    first, last = record.headers["Range"].split("=", 1)[1].split("-")
    return int(last) - int(first) + 1


def test_remote_slice_reads_only_its_byte_ranges(tmp_path):
    label = copy_label("kaguya/MI_MAP_02_N65E328N64E329SC_cropped.lbl", tmp_path)
    image = rng(32).integers(0, 32767, size=(9, 5, 5)).astype(">i2")
    altitude = rng(33).normal(size=(2048, 2048)).astype(">f4")
    path = write_attached(label, tmp_path / "MI_MAP.img", {15768: image.tobytes(), 19799: altitude.tobytes()})
    size = path.stat().st_size
    with ArchiveServer(tmp_path) as server:
        ds = af.open_product(server.url + "/MI_MAP.img")
        label_requests = len(_data_requests(server, "MI_MAP.img"))
        assert all("Range" in r.headers for r in _data_requests(server, "MI_MAP.img"))
        rows = ds["GEOMETRIC_DATA_ALTITUDE"][1000:1003, 10:20].values
        np.testing.assert_array_equal(rows, altitude[1000:1003, 10:20])
        data_requests = _data_requests(server, "MI_MAP.img")[label_requests:]
        assert data_requests and all("Range" in r.headers for r in data_requests)
        fetched = sum(_range_bytes(r) for r in data_requests)
        assert fetched < 3 * 2048 * 4 and fetched < size / 1000
        column = ds["GEOMETRIC_DATA_ALTITUDE"][:, 7].values   # a column: merged ranges, whole span read
        np.testing.assert_array_equal(column, altitude[:, 7])
        band = ds["IMAGE"].sel(band=3).values
        np.testing.assert_allclose(band, image[3] * np.float32(2e-5))
        assert ds["IMAGE"].attrs["units"] == "1" and ds.attrs["label_url"].startswith("http://127.0.0.1")


def test_remote_detached_label_through_simplecache(tmp_path, tc_product):
    label, raw = tc_product
    with ArchiveServer(label.parent) as server:
        ds = af.open_product(f"simplecache::{server.url}/{label.name}", mask_and_scale=False)
        assert ds.attrs["label_url"].startswith("simplecache::http://127.0.0.1")
        np.testing.assert_array_equal(ds["IMAGE"][2].values, raw[2])
        np.testing.assert_array_equal(ds["IMAGE"][0].values, raw[0])
        assert len(_data_requests(server, "_mini.img")) == 1    # fetched once, then read from the cache


def test_remote_missing_data_file_is_a_product_error(tmp_path, tc_product):
    label, _ = tc_product
    (label.parent / "TC1S2B0_01_00811N526E0443_mini.img").unlink()
    with ArchiveServer(label.parent) as server:
        ds = af.open_product(f"{server.url}/{label.name}")
        with pytest.raises(af.ProductError):
            ds["IMAGE"].load()


# ---- the range planner against numpy ------------------------------------------------------------------
@st.composite
def layouts_and_keys(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=ndim, max_size=ndim)))
    dtype = np.dtype(draw(st.sampled_from([">i2", "<f4", "u1", ">f8", "<c8"])))
    pads = draw(st.lists(st.integers(0, 9), min_size=ndim, max_size=ndim))
    strides, step = [0] * ndim, dtype.itemsize
    for axis in reversed(range(ndim)):
        strides[axis] = step
        step = (step * shape[axis]) + pads[axis] * (MERGE_GAP if draw(st.booleans()) else 1)
    key = []
    for n in shape:
        if draw(st.booleans()):
            key.append(draw(st.integers(-n, n - 1)))
        else:
            start = draw(st.none() | st.integers(-n - 1, n + 1))
            stop = draw(st.none() | st.integers(-n - 1, n + 1))
            key.append(slice(start, stop, draw(st.sampled_from([None, 1, 2, -1, -3]))))
    offset = draw(st.integers(0, 50))
    return Strided("memory://planner.bin", offset, shape, tuple(strides), dtype), tuple(key)


@settings(max_examples=150, deadline=None)
@given(layouts_and_keys())
def test_range_planner_matches_numpy(case):
    layout, key = case
    blob = rng(34).integers(0, 256, size=layout.end + 7, dtype=np.uint8).tobytes()
    name = f"memory://planner-{uuid.uuid4().hex}.bin"
    with fsspec.open(name, "wb") as stream:
        stream.write(blob)
    layout = Strided(name, layout.offset, layout.shape, layout.strides, layout.dtype)
    expected = np.ndarray(layout.shape, dtype=layout.dtype, buffer=blob, offset=layout.offset,
                          strides=layout.strides)[key]
    source = RemoteFile(name)
    got = source.read(layout, key)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    assert source.bytes_read <= max(layout.end - layout.offset, 1) + 8
    fsspec.filesystem("memory").rm(name)


@settings(max_examples=100, deadline=None)
@given(layouts_and_keys())
def test_local_direct_reads_match_numpy(case):
    import os
    import tempfile
    from unittest import mock

    from archive_fed.products import io as product_io

    layout, key = case
    blob = rng(35).integers(0, 256, size=layout.end + 7, dtype=np.uint8).tobytes()
    with tempfile.NamedTemporaryFile(suffix=".img", delete=False) as stream:
        stream.write(blob)
    try:
        layout = Strided(stream.name, layout.offset, layout.shape, layout.strides, layout.dtype)
        expected = np.ndarray(layout.shape, dtype=layout.dtype, buffer=blob, offset=layout.offset,
                              strides=layout.strides)[key]
        with mock.patch.object(product_io, "DIRECT_READ", 0):      # every dense selection via preadv
            got = product_io.LocalFile(stream.name).read(layout, key)
        np.testing.assert_array_equal(got, expected)
        assert got.shape == expected.shape
    finally:
        os.unlink(stream.name)


def test_large_native_reads_use_one_kernel_copy(tmp_path):
    cube = rng(36).random((3, 1000, 1000), dtype=np.float32)       # 12 MB, PC_REAL: native order
    cube.astype("<f4").tofile(tmp_path / "cube.img")
    (tmp_path / "cube.lbl").write_text(
        '^IMAGE = "cube.img"\nOBJECT = IMAGE\n BANDS = 3\n LINES = 1000\n LINE_SAMPLES = 1000\n'
        " SAMPLE_TYPE = PC_REAL\n SAMPLE_BITS = 32\nEND_OBJECT = IMAGE\nEND\n")
    ds = af.open_product(tmp_path / "cube.lbl")
    source = backend_array(ds["IMAGE"]).source
    np.testing.assert_array_equal(ds["IMAGE"].values, cube)
    assert source.bytes_read == cube.nbytes
    np.testing.assert_array_equal(ds["IMAGE"][1:, 100:900].values, cube[1:, 100:900])
    np.testing.assert_array_equal(ds["IMAGE"][0, :, ::2].values, cube[0, :, ::2])   # sparse: memory map


def test_product_warning_is_a_user_warning():
    assert issubclass(ProductWarning, UserWarning)


def test_lazy_datasets_pickle(tc_product):
    import pickle

    label, raw = tc_product
    ds = af.open_product(label, mask_and_scale=False)
    assert int(ds["IMAGE"][0, 0]) == raw[0, 0]                  # a memory map is open now
    clone = pickle.loads(pickle.dumps(ds))
    np.testing.assert_array_equal(clone["IMAGE"].values, raw)
    clone.close()
