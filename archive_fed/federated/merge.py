"""The hits of every source in one catalog: Arrow tables end to end, one row per uid, and where each was found.

Each source's answer is a list of :class:`pyarrow.Table` in the catalog's Arrow schema
(:meth:`archive_fed.Catalog.to_arrow`): a service's filtered pages, a cache entry as read, a local
catalog's search. :func:`merge` concatenates them (no copy) and deduplicates by uid with numpy, no
per-hit Python: per uid the richest row (most fields holding a value) is kept, the first source's on a
tie, in the order each uid was first seen; rows without a uid are each their own product. A boolean
matrix (hit × source) records every source that returned each hit, so
:meth:`FederatedCatalog.sources_of` lists them all. Only the kept rows become a catalog.

>>> from archive_fed import Catalog, ProductRecord
>>> ode = Catalog.from_records([ProductRecord(uid="lro::M1", title="NAC M1", mission="lro")]).to_arrow()
>>> registry = Catalog.from_records([ProductRecord(uid="lro::M1"), ProductRecord(uid="lro::M2")]).to_arrow()
>>> hits = merge([("ode", [ode]), ("pds-api", [registry])])
>>> len(hits), hits.record(0).title, hits.sources_of("lro::M1")
(2, 'NAC M1', ['ode', 'pds-api'])
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..catalog import Catalog
from ..catalog.encoding import text_values

__all__ = ["FederatedCatalog", "concat", "merge", "richness"]


class FederatedCatalog(Catalog):
    """A :class:`~archive_fed.Catalog` of federated hits with ``status`` (one
    :class:`~archive_fed.federated.run.SourceStatus` per source) and the sources of each hit."""

    status: list[Any]
    source_names: list[str]
    #: ``found[i, j]``: hit ``i`` was returned by source ``source_names[j]``
    found: np.ndarray

    def sources_of(self, uid: str) -> list[str]:
        """Names of every source that returned product ``uid`` (the record kept is the richest)."""
        rows = np.flatnonzero(text_values(self._column("uid")) == uid)
        if not rows.size:
            return []
        return [self.source_names[j] for j in np.flatnonzero(self.found[rows[0]])]

    def sources_table(self) -> pd.DataFrame:
        """One row per hit (``uid``) and one boolean column per source: which sources returned it."""
        table = pd.DataFrame(self.found, columns=self.source_names)
        table.insert(0, "uid", text_values(self._column("uid")))
        return table

    def status_table(self) -> pd.DataFrame:
        """``status`` as a pandas DataFrame."""
        return pd.DataFrame([s.to_dict() for s in getattr(self, "status", [])],
                            columns=["source", "url", "state", "hits", "seconds", "message"])


def concat(parts: Sequence[pa.Table]) -> pa.Table:
    """The rows of ``parts`` end to end, as they are (not deduplicated; the buffers are not copied)."""
    if not parts:
        return Catalog.from_records([]).to_arrow()
    return parts[0] if len(parts) == 1 else pa.concat_tables(parts)


def richness(table: pa.Table) -> np.ndarray:
    """How many fields of each row hold a value (in the Arrow schema a missing value is null; a list
    holds one when it is not empty)."""
    count = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.itercolumns():
        if pa.types.is_list(column.type):
            held = pc.greater(pc.fill_null(pc.list_value_length(column), 0), 0)
        else:
            held = pc.is_valid(column)
        count += held.to_numpy(zero_copy_only=False)
    return count


def _uid_groups(table: pa.Table) -> np.ndarray:
    """Group number of each row, numbered in order of first appearance; rows without a uid each alone
    (a blank uid is no identity)."""
    uid = np.asarray(pc.fill_null(table.column("uid"), "").to_numpy(zero_copy_only=False), dtype=object)
    groups = pd.factorize(uid)[0].astype(np.int64)
    blank = uid == ""
    if blank.any():
        groups[blank] = groups.max() + 1 + np.arange(np.count_nonzero(blank))
        groups = pd.factorize(groups)[0].astype(np.int64)
    return groups


def merge(answers: Sequence[tuple[str, Sequence[pa.Table]]], limit: int | None = None) -> FederatedCatalog:
    """One catalog of ``answers`` — ``(source name, [table, ...])`` in source order — deduplicated by uid
    (see the module doc), at most ``limit`` hits."""
    names = [name for name, _ in answers]
    parts, owner = [], []
    for j, (_, tables) in enumerate(answers):
        for table in tables:
            if table.num_rows:
                parts.append(table)
                owner.append(np.full(table.num_rows, j, dtype=np.int64))
    if not parts:
        hits = FederatedCatalog.from_records([])
        hits.source_names, hits.found = names, np.zeros((0, len(names)), dtype=bool)
        return hits
    table = concat(parts)
    groups = _uid_groups(table)
    n = len(groups)
    # per group: richest first, then the earliest row (the first source, its first page)
    order = np.lexsort((np.arange(n), -richness(table), groups))
    grouped = groups[order]
    first = np.ones(n, dtype=bool)
    first[1:] = grouped[1:] != grouped[:-1]
    keep = order[first]          # one row per group, in group order: the order of first appearance
    found = np.zeros((len(keep), len(names)), dtype=bool)
    found[groups, np.concatenate(owner)] = True
    if limit is not None:
        keep, found = keep[:limit], found[:limit]
    hits = FederatedCatalog.from_arrow(table.take(keep), "federated hits")
    hits.source_names, hits.found = names, found
    return hits
