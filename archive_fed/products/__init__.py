"""Product data as xarray: :func:`open_product` and the ``engine="pds"`` backend.

Decoders (:mod:`.pds3`, :mod:`.pds4`) turn a label into a :class:`~.layout.ProductLayout` without
reading data; :mod:`.backend` builds lazily indexed datasets from it; :mod:`.io` reads bytes (memory
maps locally, byte ranges through the Transport's fsspec filesystem remotely).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import xarray as xr

from .backend import PDSBackendEntrypoint
from .layout import ProductWarning

__all__ = ["PDSBackendEntrypoint", "ProductWarning", "open_product"]


def open_product(record_or_label: Any, *, mask_and_scale: bool = True,
                 chunks: int | str | Mapping[str, Any] | None = None, transport: Any = None) -> xr.Dataset:
    """Open a PDS3 or PDS4 product's data as an :class:`xarray.Dataset`.

    Parameters
    ----------
    record_or_label : ProductRecord, Label, str or os.PathLike
        A catalog record (its ``label_url`` is read), a parsed label, or a label path/URL (any fsspec
        URL, e.g. ``https://…`` or ``simplecache::https://…``; an ``.img`` with an attached PDS3 label).
    mask_and_scale : bool
        Apply scaling (``SCALING_FACTOR``/``OFFSET``, ``scaling_factor``/``value_offset``) and turn
        special constants (invalid, missing, null, saturated) into NaN. False gives the stored values,
        with the packing information in each variable's ``attrs`` (xarray convention).
    chunks : None, "auto", int or mapping
        None: lazily indexed arrays (memory maps for local files, byte ranges for URLs; nothing is read
        until indexed). Otherwise dask arrays with these chunks.
    transport : archive_fed.transport.Transport, optional
        http(s) label and data reads go through it (credentials, retries, limits, size cap); default:
        one shared Transport with default settings (credentials from the environment and netrc).

    Returns
    -------
    xarray.Dataset
        One variable per data object (PDS3 IMAGE, PDS4 Array) or table field, named after it; units
        in ``attrs["units"]``; label metadata (product id, mission, label URL…) in ``ds.attrs``;
        wavelength and lat/lon coordinates where the label gives them.

    Examples
    --------
    >>> import archive_fed as af                                             # doctest: +SKIP
    >>> ds = af.open_product("TC1S2B0_01_06691S820E0465.lbl")                # doctest: +SKIP
    >>> ds["IMAGE"].attrs["units"], float(ds["IMAGE"][0, 0])                 # doctest: +SKIP
    ('W / (micron sr m2)', 5.2)
    """
    return xr.open_dataset(record_or_label, engine=PDSBackendEntrypoint, chunks=chunks,
                           mask_and_scale=mask_and_scale, transport=transport)
