"""Where a FITS extension's header and data start, read by astropy (``astropy.io.fits``; remote files
through the Transport, as every product read), for products whose PDS labels point into FITS files at
the wrong bytes (LRO LAMP, Chandrayaan-2 CLASS).

>>> import os, tempfile, numpy as np
>>> from astropy.io import fits
>>> path = os.path.join(tempfile.mkdtemp(), "f.fits")
>>> fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros((2, 2), ">i2"), name="DATA")]).writeto(path)
>>> hdu_location(path, "DATA")
(2880, 5760, 2880)
"""
from __future__ import annotations

from typing import Any

from ...errors import ProductError
from ..io import RemoteFile, is_remote, local_path


def hdu_location(url: str, which: str | int) -> tuple[int, int, int]:
    """(header byte, data byte, data bytes padded to FITS blocks; 0 for no data) of the extension named (``EXTNAME``) or numbered ``which``."""
    from astropy.io import fits

    stream = RemoteFile(url).open_stream() if is_remote(url) else open_local(url)
    try:
        with stream, fits.open(stream, memmap=False, lazy_load_hdus=True) as hdus:
            index = which if isinstance(which, int) else hdus.index_of(which)
            info = hdus.fileinfo(index)
    except (OSError, KeyError, IndexError, ValueError, ProductError) as error:
        message = error.message if isinstance(error, ProductError) else str(error)
        raise ProductError(f"FITS extension {which!r}: {message}", path=url) from None
    if info is None:
        raise ProductError(f"FITS extension {which!r} not found", path=url)
    return int(info["hdrLoc"]), int(info["datLoc"]), int(info["datSpan"])


def open_local(url: str) -> Any:
    try:
        return open(local_path(url), "rb")
    except OSError as error:
        raise ProductError(f"cannot open data file: {error.strerror or error}", path=url) from None
