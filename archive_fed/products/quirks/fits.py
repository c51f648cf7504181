"""Where a FITS extension's header and data start, read by astropy (``astropy.io.fits``), for products
whose PDS labels point into FITS files at the wrong bytes (LRO LAMP, Chandrayaan-2 CLASS).

>>> import os, tempfile, numpy as np
>>> from astropy.io import fits
>>> path = os.path.join(tempfile.mkdtemp(), "f.fits")
>>> fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros((2, 2), ">i2"), name="DATA")]).writeto(path)
>>> hdu_location(path, "DATA")
(2880, 5760, 2880)
"""
from __future__ import annotations

from ...errors import ProductError
from ..io import is_remote, local_path


def hdu_location(url: str, which: str | int) -> tuple[int, int, int]:
    """(header byte, data byte, data bytes padded to FITS blocks; 0 for no data) of the extension named (``EXTNAME``) or numbered ``which``."""
    if is_remote(url):
        raise ProductError(f"FITS extension {which!r}: locating FITS extensions needs a local copy of the file",
                           path=url)
    from astropy.io import fits

    try:
        with fits.open(local_path(url), memmap=False, lazy_load_hdus=True) as hdus:
            index = which if isinstance(which, int) else hdus.index_of(which)
            info = hdus.fileinfo(index)
    except (OSError, KeyError, IndexError, ValueError) as error:
        raise ProductError(f"FITS extension {which!r}: {error}", path=url) from None
    if info is None:
        raise ProductError(f"FITS extension {which!r} not found", path=url)
    return int(info["hdrLoc"]), int(info["datLoc"]), int(info["datSpan"])
