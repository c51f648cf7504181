"""Appending new products to a catalog (index_merge.append_spill): whole shards hard-linked, the rest
written again, the result equal to writing everything at once."""
from __future__ import annotations

import os

import numpy as np

from archive_fed.catalog import Catalog
from archive_fed.catalog.bulk import CatalogWriter
from archive_fed.testing.synthetic import synthetic_columns
from archive_fed.harvest import index_merge

SHARD = 16_384


def frame(path: str):
    return Catalog.open(path).to_pandas().reset_index(drop=True)


def test_append_links_whole_shards_and_equals_one_write(tmp_path):
    catalog, whole = str(tmp_path / "c.zarr"), str(tmp_path / "whole.zarr")
    old = [synthetic_columns(20_000, seed=1, start=0), synthetic_columns(20_000, seed=2, start=20_000)]
    new = synthetic_columns(7_000, seed=3, start=40_000)
    with CatalogWriter(catalog, shard_rows=SHARD) as writer:
        for columns in old:
            writer.append(columns)
    with CatalogWriter(whole, shard_rows=SHARD) as writer:
        for columns in old + [new]:
            writer.append(columns)
    inodes = {name: os.stat(os.path.join(catalog, name, "c", "0")).st_ino for name in ("uid", "mission", "lon_min")}
    spill = index_merge.PartitionSpill(str(tmp_path / "merge"), 3, "new")
    spill.append(new)
    spill.close()
    assert index_merge.append_spill(catalog, spill, {"state": "{}"}, shard_rows=SHARD) == 47_000
    for name, inode in inodes.items():  # the first shard is the old file, linked, not rewritten
        assert os.stat(os.path.join(catalog, name, "c", "0")).st_ino == inode, name
    got, expected = frame(catalog), frame(whole)
    assert len(got) == 47_000 and set(got["uid"]) == set(expected["uid"])
    got = got.set_index("uid").sort_index()
    expected = expected.set_index("uid").sort_index()
    for name in expected.columns:
        left, right = got[name].to_numpy(), expected[name].to_numpy()
        same = [a == b or (a != a and b != b) or (isinstance(a, (list, np.ndarray)) and list(a) == list(b))
                for a, b in zip(left, right)]
        assert all(same), name
    assert len(Catalog.open(catalog).search(mission=expected["mission"].iloc[-1])) == \
        int((expected["mission"] == expected["mission"].iloc[-1]).sum())


def test_append_to_another_layout_copies_instead(tmp_path):
    catalog = str(tmp_path / "c.zarr")
    with CatalogWriter(catalog, shard_rows=SHARD) as writer:
        writer.append(synthetic_columns(20_000, seed=4))
    spill = index_merge.PartitionSpill(str(tmp_path / "merge"), 1, "new")
    spill.append(synthetic_columns(100, seed=5, start=20_000))
    spill.close()
    assert index_merge.append_spill(catalog, spill, {"state": "{}"}, shard_rows=2 * SHARD) == 20_100
    assert len(frame(catalog)) == 20_100
