"""The PDS3 volume ``SLNSAMPLE_0001``: INDEX.LBL/INDEX.TAB (fixed-width, CR/LF), VOLDESC.CAT, AAREADME.TXT,
and :func:`build_pds3`, which assembles the Kaguya and LROC products into it."""
from __future__ import annotations



from .common import VOLUME_ID, crlf, odl
from .kaguya import MV_SCENES, TC_SCENES, mimap_product, mv_product, tc_product
from .lroc_pds3 import lroc_volume_product


# ==================================================================================== PDS3: volume files
INDEX_COLUMNS = [
    # name, type, key in index row, description
    ("VOLUME_ID", "CHARACTER", "volume", "Identifier of the volume containing the product."),
    ("PATH_NAME", "CHARACTER", "path", "Path of the directory containing the product label, relative to the "
                                       "volume root."),
    ("FILE_NAME", "CHARACTER", "file", "Name of the product label file (the image file itself when the label is "
                                       "attached)."),
    ("PRODUCT_ID", "CHARACTER", "product_id", "Product identifier (PRODUCT_ID in the label)."),
    ("DATA_SET_ID", "CHARACTER", "data_set_id", "Data set identifier (DATA_SET_ID in the label)."),
    ("INSTRUMENT_ID", "CHARACTER", "instrument", "Instrument identifier (INSTRUMENT_ID in the label)."),
    ("TARGET_NAME", "CHARACTER", "target", "Target of the observation."),
    ("START_TIME", "TIME", "start", "Observation start time (UTC) as in the label; N/A for map products."),
    ("STOP_TIME", "TIME", "stop", "Observation stop time (UTC) as in the label; N/A for map products."),
    ("PRODUCT_CREATION_TIME", "TIME", "created", "Time the product was created (UTC)."),
]


def index_files(rows: list[dict]) -> dict:
    for r in rows:
        r.setdefault("volume", VOLUME_ID)
        r.setdefault("target", "MOON")
    widths = {key: max(len(r[key]) for r in rows) for _, _, key, _ in INDEX_COLUMNS}
    cols, pos = [], 1
    for name, dtype, key, desc in INDEX_COLUMNS:
        quoted = dtype == "CHARACTER"
        start = pos + 1 if quoted else pos
        cols.append((name, dtype, key, desc, start, widths[key], quoted))
        pos += widths[key] + (2 if quoted else 0) + 1          # + the comma (the last: the CR of CR/LF)
    row_bytes = pos                                             # 1-based position after the CR = with the LF
    table_lines = []
    for r in rows:
        fields = [f'"{r[key].ljust(w)}"' if quoted else r[key].ljust(w) for _, _, key, _, _, w, quoted in cols]
        table_lines.append(",".join(fields))
    table = crlf(table_lines)
    assert all(len(line) + 2 == row_bytes for line in table_lines)

    data_sets = sorted({r["data_set_id"] for r in rows})
    k = odl
    label = [
        k("PDS_VERSION_ID", "PDS3"),
        k("RECORD_TYPE", "FIXED_LENGTH"),
        k("RECORD_BYTES", row_bytes),
        k("FILE_RECORDS", len(rows)),
        k("^INDEX_TABLE", '"INDEX.TAB"'),
        "",
        k("VOLUME_ID", f'"{VOLUME_ID}"'),
        k("DATA_SET_ID", "{" + ", ".join(f'"{d}"' for d in data_sets) + "}"),
        k("INSTRUMENT_HOST_NAME", '{"SELENE MAIN ORBITER", "LUNAR RECONNAISSANCE ORBITER"}'),
        k("TARGET_NAME", "MOON"),
        k("PRODUCT_CREATION_TIME", "2025-01-15T00:00:00"),
        k("NOTE", '"Index of all products on this volume, one row per product."'),
        "",
        k("OBJECT", "INDEX_TABLE"),
        k("INTERCHANGE_FORMAT", "ASCII", 2),
        k("ROWS", len(rows), 2),
        k("COLUMNS", len(cols), 2),
        k("ROW_BYTES", row_bytes, 2),
        k("INDEX_TYPE", "SINGLE", 2),
        k("DESCRIPTION", '"Each row describes one product of the volume. Character fields are enclosed in '
                         'double quotes, fields are separated by commas and each row ends with carriage-return/'
                         'line-feed. START_BYTE and BYTES give the position of the field contents without the '
                         'quotes."', 2),
    ]
    for number, (name, dtype, _key, desc, start, width, _quoted) in enumerate(cols, 1):
        label += [
            "",
            k("OBJECT", "COLUMN", 2),
            k("COLUMN_NUMBER", number, 4),
            k("NAME", name, 4),
            k("DATA_TYPE", dtype, 4),
            k("START_BYTE", start, 4),
            k("BYTES", width, 4),
            k("FORMAT", f'"A{width}"', 4),
        ]
        if dtype == "TIME":
            label.append(k("NOT_APPLICABLE_CONSTANT", '"N/A"', 4))
        label += [k("DESCRIPTION", f'"{desc}"', 4), k("END_OBJECT", "COLUMN", 2)]
    label += ["", k("END_OBJECT", "INDEX_TABLE"), "END"]
    return {"INDEX/INDEX.LBL": crlf(label), "INDEX/INDEX.TAB": table}


def voldesc(rows: list[dict]) -> bytes:
    data_sets = sorted({r["data_set_id"] for r in rows})
    k = odl
    lines = [
        k("PDS_VERSION_ID", "PDS3"),
        k("LABEL_REVISION_NOTE", '"2025-01-15, archive_fed sample volume, initial release"'),
        k("RECORD_TYPE", "STREAM"),
        "",
        k("OBJECT", "VOLUME"),
        k("VOLUME_SERIES_NAME", '"SELENE SCIENCE DATA"', 2),
        k("VOLUME_SET_NAME", '"ARCHIVE_FED LUNAR SAMPLE VOLUME SET"', 2),
        k("VOLUME_SET_ID", '"SLNSAMPLE_XXXX"', 2),
        k("VOLUMES", 1, 2),
        k("VOLUME_NAME", '"ARCHIVE_FED KAGUYA AND LRO SAMPLE VOLUME 1"', 2),
        k("VOLUME_ID", f'"{VOLUME_ID}"', 2),
        k("VOLUME_VERSION_ID", '"VERSION 1"', 2),
        k("VOLUME_FORMAT", '"ONLINE"', 2),
        k("MEDIUM_TYPE", '"ONLINE"', 2),
        k("PUBLICATION_DATE", "2025-01-15", 2),
        k("DATA_SET_ID", "{" + ", ".join(f'"{d}"' for d in data_sets) + "}", 2),
        k("DESCRIPTION", '"This volume is the sample archive embedded in the archive_fed package. It holds '
                         'a few small SELENE (Kaguya) Terrain Camera, Multiband Imager and MI map products and one '
                         'LRO LROC NAC EDR, organised like the JAXA DARTS and PDS Imaging Node volumes. The '
                         'products are synthetic: their labels follow the real dialects, their pixels are '
                         'generated."', 2),
        "",
        k("OBJECT", "DATA_PRODUCER", 2),
        k("INSTITUTION_NAME", '"ARCHIVE_FED DEVELOPERS"', 4),
        k("FACILITY_NAME", '"ARCHIVE_FED SAMPLE GENERATOR"', 4),
        k("FULL_NAME", '"ARCHIVE_FED DEVELOPERS"', 4),
        k("DISCIPLINE_NAME", '"IMAGING"', 4),
        k("ADDRESS_TEXT", '"https://example.invalid/archive_fed"', 4),
        k("END_OBJECT", "DATA_PRODUCER", 2),
        "",
        k("OBJECT", "DIRECTORY", 2),
        k("NAME", "INDEX", 4),
        k("OBJECT", "FILE", 4),
        k("FILE_NAME", '"INDEX.LBL"', 6),
        k("END_OBJECT", "FILE", 4),
        k("OBJECT", "FILE", 4),
        k("FILE_NAME", '"INDEX.TAB"', 6),
        k("END_OBJECT", "FILE", 4),
        k("END_OBJECT", "DIRECTORY", 2),
        k("END_OBJECT", "VOLUME"),
        "END",
    ]
    return crlf(lines)


def aareadme(rows: list[dict]) -> bytes:
    k = lambda key, value, indent=0: (" " * indent + key).ljust(24) + "= " + str(value)  # noqa: E731
    lines = [
        k("PDS_VERSION_ID", "PDS3"),
        k("RECORD_TYPE", "STREAM"),
        k("OBJECT", "TEXT"),
        k("PUBLICATION_DATE", "2025-01-15", 2),
        k("NOTE", f'"Introduction to the {VOLUME_ID} volume"', 2),
        k("END_OBJECT", "TEXT"),
        "END",
        "",
        f"{VOLUME_ID} -- ARCHIVE_FED LUNAR SAMPLE VOLUME",
        "=" * 47,
        "",
        "This volume is a miniature PDS3 archive volume shipped inside the archive_fed",
        "package. It is organised like the SELENE (Kaguya) volumes of JAXA's DARTS",
        "archive and the LROC volumes of the PDS Imaging Node, and is what the",
        "'archive-fed demo' command harvests.",
        "",
        "The products are synthetic. Their labels are written in the dialects of the",
        "real archives (keywords, units, alignment, line ends); their images are",
        "small generated arrays (a gradient, a crater, a few invalid pixels). The",
        "footprints and times are plausible for the named orbits but invented.",
        "",
        "Volume contents",
        "---------------",
        "",
        "AAREADME.TXT        This file.",
        "VOLDESC.CAT         Description of the volume (PDS3 VOLUME object).",
        "INDEX/INDEX.LBL     Label of the product index table.",
        "INDEX/INDEX.TAB     Product index: one row per product (fixed-width ASCII).",
        "DATA/TC/2B0/        Terrain Camera 1 Level 2B0 radiance images",
        "                    (detached .lbl labels, image in .img).",
        "DATA/MI_VIS/2B2/    Multiband Imager visible Level 2B2 radiance cubes",
        "                    (label attached at the start of the .img file).",
        "DATA/MI_MAP/        Multiband Imager reflectance map tile with altitude",
        "                    (attached label).",
        "DATA/LROC/EDR/      One LRO LROC NAC EDR (attached label, fixed-length records).",
        "",
        f"The volume holds {len(rows)} products.",
    ]
    return crlf(lines)
# ================================================================================================ build
def build_pds3() -> tuple[dict[str, bytes], list[dict]]:
    products = [tc_product(s) for s in TC_SCENES] + [mv_product(s) for s in MV_SCENES]
    products += [mimap_product(), lroc_volume_product()]
    files: dict[str, bytes] = {}
    rows = []
    for p in products:
        files.update(p["files"])
        rows.append(p["index"])
    files.update(index_files(rows))
    files["VOLDESC.CAT"] = voldesc(rows)
    files["AAREADME.TXT"] = aareadme(rows)
    return {f"pds3_volume/{k}": v for k, v in files.items()}, [p["summary"] for p in products]
