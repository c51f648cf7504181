"""Chandrayaan-2 (ISRO) product data quirks.

CLASS level-1 FITS products (``ch2_cla_l1_*``)
    The PDS4 label's ``Table_Binary`` ``offset`` does not lead to the FITS binary table; the table is
    the data of FITS extension 1, located with astropy. Catalogued by pdr
    (``pdr/formats/ch2_isro.py`` ``read_class_fits_table``, selected in ``pdr/formats/checkers.py`` on
    the file name).

>>> is_class_l1("ch2_cla_l1_20210901T000000000_20210901T000800000.fits"), is_class_l1("ch2_iir.qub")
(True, False)
"""
from __future__ import annotations


def is_class_l1(file_name: str | None) -> bool:
    return bool(file_name) and "ch2_cla_l1_" in str(file_name).rsplit("/", 1)[-1].lower()


def table_offset(url: str) -> int | None:
    """The 0-based byte of the binary table of CLASS level-1 file ``url``; None for other files."""
    if not is_class_l1(url):
        return None
    from .fits import hdu_location

    return hdu_location(url, 1)[1]
