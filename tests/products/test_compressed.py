"""Compressed product data: PDS4 ``Encoded_Image`` objects decoded with Pillow, and gzip data files
(PDS3 and PDS4) inflated before the label's layout is applied; values against the arrays written."""
from __future__ import annotations

import gzip
import io

import numpy as np
import pytest

import archive_fed as af
import archive_fed.products.io as product_io
from archive_fed.errors import ProductError
from tests.products.test_parity import HEAD, reference

Image = pytest.importorskip("PIL.Image")


def encoded_label(tmp_path, name: str, data: bytes, standard: str, offset: int = 0):
    (tmp_path / f"{name}.dat").write_bytes(b"H" * offset + data)
    body = (f"<Encoded_Image><name>{name}</name><offset unit='byte'>{offset}</offset>"
            f"<object_length unit='byte'>{len(data)}</object_length>"
            f"<encoding_standard_id>{standard}</encoding_standard_id></Encoded_Image>")
    (tmp_path / f"{name}.xml").write_text(HEAD.format(name=name, body=body))
    return tmp_path / f"{name}.xml"


def encoded(array: np.ndarray, fmt: str, **options) -> bytes:
    stream = io.BytesIO()
    Image.fromarray(array).save(stream, format=fmt, **options)
    return stream.getvalue()


@pytest.mark.parametrize("dtype, fmt, standard", [("u1", "PNG", "PNG"), (">u2", "PNG", "PNG"),
                                                  ("u1", "TIFF", "TIFF"), ("u1", "GIF", "GIF")])
def test_lossless_encoded_image(tmp_path, dtype, fmt, standard):
    generator = np.random.default_rng(4)
    array = generator.integers(0, 200 if fmt == "GIF" else np.iinfo(np.dtype(dtype)).max, (12, 17)).astype(
        np.dtype(dtype).newbyteorder("="))
    label = encoded_label(tmp_path, "browse", encoded(array, fmt), standard, offset=100)
    ds = af.open_product(label)
    assert ds["browse"].dims == ("line", "sample") and ds["browse"].attrs["encoding_standard_id"] == standard
    if fmt == "GIF":        # palette indices: compare through the palette Pillow wrote
        np.testing.assert_array_equal(ds["browse"].values, np.asarray(Image.open(io.BytesIO(encoded(array, fmt)))))
    else:
        np.testing.assert_array_equal(ds["browse"].values, array)


def test_colour_jpeg_and_jpeg2000(tmp_path):
    yy, xx = np.mgrid[0:32, 0:48]
    rgb = np.stack([xx * 5, yy * 7, (xx + yy) * 2], axis=-1).astype(np.uint8)
    ds = af.open_product(encoded_label(tmp_path, "jpeg", encoded(rgb, "JPEG", quality=95), "JPEG"))
    assert ds["jpeg"].dims == ("line", "sample", "band") and ds["jpeg"].shape == (32, 48, 3)
    assert np.abs(ds["jpeg"].values.astype(int) - rgb).mean() < 3      # lossy, but the same picture
    gray = (xx * 5).astype(np.uint8)
    ds = af.open_product(encoded_label(tmp_path, "j2c", encoded(gray, "JPEG2000", irreversible=False), "J2C"))
    np.testing.assert_array_equal(ds["j2c"].values, gray)              # reversible JPEG 2000: exact


def test_undecodable_encoded_image_is_a_product_error(tmp_path):
    label = encoded_label(tmp_path, "broken", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "PNG")
    with pytest.raises(ProductError, match="cannot decode the PNG Encoded_Image"):
        af.open_product(label)


def test_gzip_pds3_image(tmp_path):
    image = ((np.arange(6 * 7).reshape(6, 7) - 20) * 3).astype(">i2")
    (tmp_path / "p.img.gz").write_bytes(gzip.compress(b"\x00" * 10 + image.tobytes()))
    (tmp_path / "p.lbl").write_text('PDS_VERSION_ID = PDS3\n^IMAGE = ("p.img.gz", 11 <BYTES>)\nOBJECT = IMAGE\n'
                                    " LINES = 6\n LINE_SAMPLES = 7\n SAMPLE_TYPE = MSB_INTEGER\n SAMPLE_BITS = 16\n"
                                    " SCALING_FACTOR = 0.5\nEND_OBJECT = IMAGE\nEND\n")
    ds = af.open_product(tmp_path / "p.lbl")
    np.testing.assert_array_equal(ds["IMAGE"].values, image * 0.5)
    np.testing.assert_array_equal(ds["IMAGE"][2:4, ::3].values, image[2:4, ::3] * 0.5)


def test_gzip_pds4_array_equals_the_uncompressed_reference(tmp_path):
    array = np.linspace(-1, 1, 5 * 8, dtype="<f4").reshape(5, 8)
    body = ("<Array_2D_Image><name>img</name><offset unit='byte'>0</offset><axes>2</axes>"
            "<axis_index_order>Last Index Fastest</axis_index_order><Element_Array><data_type>IEEE754LSBSingle"
            "</data_type></Element_Array><Axis_Array><axis_name>Line</axis_name><elements>5</elements>"
            "<sequence_number>1</sequence_number></Axis_Array><Axis_Array><axis_name>Sample</axis_name>"
            "<elements>8</elements><sequence_number>2</sequence_number></Axis_Array></Array_2D_Image>")
    (tmp_path / "plain.dat").write_bytes(array.tobytes())
    (tmp_path / "plain.xml").write_text(HEAD.format(name="plain", body=body))
    (tmp_path / "packed.dat.gz").write_bytes(gzip.compress(array.tobytes()))
    (tmp_path / "packed.xml").write_text(HEAD.format(name="packed", body=body).replace("packed.dat", "packed.dat.gz"))
    ours = af.open_product(tmp_path / "packed.xml")["img"].values
    np.testing.assert_array_equal(ours, np.asarray(reference(tmp_path / "plain.xml")[0].data))
    np.testing.assert_array_equal(ours, array)


def test_gzip_bomb_and_garbage_are_product_errors(tmp_path, monkeypatch):
    (tmp_path / "p.img.gz").write_bytes(gzip.compress(bytes(1 << 20)))
    (tmp_path / "p.lbl").write_text('PDS_VERSION_ID = PDS3\n^IMAGE = "p.img.gz"\nOBJECT = IMAGE\n LINES = 2\n'
                                    " LINE_SAMPLES = 2\n SAMPLE_TYPE = MSB_INTEGER\n SAMPLE_BITS = 16\n"
                                    "END_OBJECT = IMAGE\nEND\n")
    monkeypatch.setattr(product_io, "MAX_INFLATED", 1 << 16)
    with pytest.raises(ProductError, match="inflates past 65536 bytes"):
        af.open_product(tmp_path / "p.lbl").load()
    (tmp_path / "p.img.gz").write_bytes(b"\x1f\x8b\x08\x00garbage" * 4)
    with pytest.raises(ProductError, match="not a readable gzip file"):
        af.open_product(tmp_path / "p.lbl").load()


def test_gzip_data_over_http(tmp_path):
    from archive_fed.testing.servers import ArchiveServer

    image = (np.arange(12).reshape(3, 4) * 1000).astype(">u2")
    (tmp_path / "p.img.gz").write_bytes(gzip.compress(image.tobytes()))
    (tmp_path / "p.lbl").write_text('PDS_VERSION_ID = PDS3\n^IMAGE = "p.img.gz"\nOBJECT = IMAGE\n LINES = 3\n'
                                    " LINE_SAMPLES = 4\n SAMPLE_TYPE = MSB_UNSIGNED_INTEGER\n SAMPLE_BITS = 16\n"
                                    "END_OBJECT = IMAGE\nEND\n")
    with ArchiveServer(tmp_path) as server:
        ds = af.open_product(server.url + "/p.lbl")
        np.testing.assert_array_equal(ds["IMAGE"].values, image)
