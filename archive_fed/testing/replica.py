"""Synthetic archive replicas for harvest tests and benchmarks: a PDS3 volume with an index table, and a
PDS4 bundle with collections and inventories, of any size, written in the Kaguya and Chang'e dialects."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

INDEX_COLUMNS = [  # name, bytes (quoted character fields include their quotes)
    ("VOLUME_ID", 16), ("PATH_NAME", 22), ("FILE_NAME", 34), ("PRODUCT_ID", 30), ("START_TIME", 28),
    ("PRODUCT_CREATION_TIME", 21),
]


def product_id(i: int) -> str:
    return f"TC1S2B0_01_{i:05d}S820E0465"


def pds3_label(i: int, *, version: str = "01", broken: bool = False) -> str:
    start = dt.datetime(2008, 1, 1) + dt.timedelta(minutes=7 * i)
    stop = start + dt.timedelta(seconds=30)
    lon = (i * 7.3) % 360.0
    lat = ((i * 3.1) % 160.0) - 80.0
    pid = product_id(i)
    body = f"""PDS_VERSION_ID                       = "PDS3"
RECORD_TYPE                          = "UNDEFINED"
FILE_NAME                            = "{pid}.img"
^IMAGE                               = ("{pid}.img", 1 <BYTES>)
MISSION_NAME                         = "SELENE"
DATA_SET_ID                          = "SLN-L-TC-3-S-LEVEL2B0-V1.0"
DATA_SET_NAME                        = "SELENE MOON TC 3 MONO LEVEL2B0 V1.0"
PRODUCT_ID                           = "{pid}"
INSTRUMENT_ID                        = "TC1"
INSTRUMENT_NAME                      = "TERRAIN CAMERA 1"
INSTRUMENT_HOST_NAME                 = "SELENE MAIN ORBITER"
TARGET_NAME                          = "MOON"
START_TIME                           = {start.isoformat()}
STOP_TIME                            = {stop.isoformat()}
PRODUCT_VERSION_ID                   = "{version}"
UPPER_LEFT_LATITUDE                  = {lat + 1.0:.6f} <deg>
UPPER_LEFT_LONGITUDE                 = {lon:.6f} <deg>
UPPER_RIGHT_LATITUDE                 = {lat + 1.0:.6f} <deg>
UPPER_RIGHT_LONGITUDE                = {(lon + 1.5) % 360:.6f} <deg>
LOWER_LEFT_LATITUDE                  = {lat:.6f} <deg>
LOWER_LEFT_LONGITUDE                 = {lon:.6f} <deg>
LOWER_RIGHT_LATITUDE                 = {lat:.6f} <deg>
LOWER_RIGHT_LONGITUDE                = {(lon + 1.5) % 360:.6f} <deg>
OBJECT                               = IMAGE
    LINES                            = 400
    LINE_SAMPLES                     = 3208
    SAMPLE_TYPE                      = MSB_INTEGER
    SAMPLE_BITS                      = 16
    SCALING_FACTOR                   = 1.30000e-02
    INVALID_VALUE                    = (-20000 , -21000 , -22000 , -23000)
END_OBJECT                           = IMAGE
"""
    if broken:
        body = body.replace("END_OBJECT                           = IMAGE\n", "")
    return body + "END\n"


def _quoted(value: str, width: int) -> str:
    text = f'"{value}"'
    return text.ljust(width)


def make_pds3_volume(root: Path, n: int, *, broken: set[int] = frozenset(), missing: set[int] = frozenset(),
                     extra_rows: list[str] = (), first: int = 0) -> Path:
    """A volume with ``n`` detached-label products (numbered from ``first``); ``broken`` labels lack
    END_OBJECT, ``missing`` ones are in the index but not on disk; ``extra_rows`` are raw (relative path)
    rows to add."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "INDEX").mkdir(exist_ok=True)
    rows = []
    for i in range(first, first + n):
        folder = f"DATA/TC/{i // 1000:03d}/"
        pid = product_id(i)
        if i not in missing:
            path = root / folder / f"{pid}.LBL"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(pds3_label(i, broken=i in broken).replace("\n", "\r\n"), newline="")
        start = (dt.datetime(2008, 1, 1) + dt.timedelta(minutes=7 * i)).isoformat()
        rows.append((folder, f"{pid}.LBL", pid, start))
    for extra in extra_rows:
        folder, _, name = extra.rpartition("/")
        rows.append((folder + "/", name, "EXTRA", "2009-01-01T00:00:00"))
    lines = []
    for folder, name, pid, start in rows:
        fields = [_quoted("SLNSAMPLE_0001", 16), _quoted(folder, 22), _quoted(name, 34), _quoted(pid, 30),
                  start.ljust(28), "2013-06-10T09:23:07".ljust(21)]
        lines.append(",".join(fields))
    row_bytes = len(lines[0]) + 2
    (root / "INDEX" / "INDEX.TAB").write_bytes("".join(line + "\r\n" for line in lines).encode())
    columns, start_byte = [], 1
    for number, (name, width) in enumerate(INDEX_COLUMNS, 1):
        quoted = name not in ("START_TIME", "PRODUCT_CREATION_TIME")
        columns.append(f"""  OBJECT = COLUMN
    COLUMN_NUMBER = {number}
    NAME = {name}
    DATA_TYPE = {"CHARACTER" if quoted else "TIME"}
    START_BYTE = {start_byte + (1 if quoted else 0)}
    BYTES = {width - 2 if quoted else width}
  END_OBJECT = COLUMN""")
        start_byte += width + 1
    label = f"""PDS_VERSION_ID = PDS3
RECORD_TYPE = FIXED_LENGTH
RECORD_BYTES = {row_bytes}
FILE_RECORDS = {len(lines)}
^INDEX_TABLE = "INDEX.TAB"
OBJECT = INDEX_TABLE
  INTERCHANGE_FORMAT = ASCII
  ROWS = {len(lines)}
  ROW_BYTES = {row_bytes}
  COLUMNS = {len(INDEX_COLUMNS)}
{chr(10).join(columns)}
END_OBJECT = INDEX_TABLE
END
"""
    (root / "INDEX" / "INDEX.LBL").write_text(label.replace("\n", "\r\n"), newline="")
    return root


def change_name(i: int) -> str:
    return f"CE4_GRAS_LPR-2B_SCI_N_20231216075001_20231217065500_{i:04d}_A.2B"


def change_label(i: int) -> str:
    name = change_name(i)
    start = dt.datetime(2019, 1, 3) + dt.timedelta(hours=3 * i)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Product_Observational xmlns="http://pds.nasa.gov/pds4/pds/v1" xmlns:pds="http://pds.nasa.gov/pds4/pds/v1">
  <Identification_Area>
    <logical_identifier>{name}</logical_identifier>
    <version_id>1.0</version_id>
    <title>Chang'E 4(CE-4) mission</title>
    <information_model_version>1.5.0.0</information_model_version>
    <product_class>Product_Observational</product_class>
  </Identification_Area>
  <Reference_List>None</Reference_List>
  <Observation_Area>
    <Time_Coordinates>
      <start_date_time>{start.isoformat()}.000Z</start_date_time>
      <stop_date_time>{(start + dt.timedelta(minutes=10)).isoformat()}.000Z</stop_date_time>
    </Time_Coordinates>
    <Primary_Result_Summary><purpose>Science</purpose><processing_level>Calibrated</processing_level>
    </Primary_Result_Summary>
    <Investigation_Area><name>CE4</name><type>Mission</type></Investigation_Area>
    <Observing_System><name>Observing System for CE4Ro</name>
      <Observing_System_Component><name>CE4Ro</name><type>Spacecraft</type></Observing_System_Component>
    </Observing_System>
    <Target_Identification><name>Lunar</name><type>Satellite</type></Target_Identification>
    <Mission_Area>
      <product_id>{name}</product_id><product_level>2B</product_level><instrument_id>LPR</instrument_id>
      <sequence_id>{i:04d}</sequence_id>
      <Lander_Location><longitude unit="deg">{177.5 + i * 1e-4:.6f}</longitude>
        <latitude unit="deg">-45.444600</latitude></Lander_Location>
    </Mission_Area>
  </Observation_Area>
  <File_Area_Observational><File><file_name>{name}</file_name>
    <file_size unit="byte">8307</file_size></File></File_Area_Observational>
</Product_Observational>
"""


def make_pds4_bundle(root: Path, n: int, *, missing_members: int = 0) -> Path:
    """A bundle with one collection of ``n`` Chang'e-4 LPR products (``.2BL`` labels) and an inventory
    listing ``missing_members`` more products than the tree holds."""
    root.mkdir(parents=True, exist_ok=True)
    folder = root / "data_lpr"
    folder.mkdir(exist_ok=True)
    for i in range(n):
        (folder / (change_name(i) + "L")).write_text(change_label(i))
    members = [f"P,{change_name(i)}::1.0" for i in range(n + missing_members)]
    (folder / "collection_data_lpr_inventory.csv").write_bytes(
        "".join(m + "\r\n" for m in members).encode())
    (folder / "collection_data_lpr.xml").write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<Product_Collection xmlns="http://pds.nasa.gov/pds4/pds/v1">
  <Identification_Area><logical_identifier>urn:nasa:pds:replica:data_lpr</logical_identifier>
    <version_id>1.0</version_id><title>LPR collection</title></Identification_Area>
  <Collection><collection_type>Data</collection_type></Collection>
  <File_Area_Inventory><File><file_name>collection_data_lpr_inventory.csv</file_name></File>
    <Inventory><records>{len(members)}</records></Inventory></File_Area_Inventory>
</Product_Collection>
""")
    (root / "bundle_replica.xml").write_text("""<?xml version="1.0" encoding="UTF-8"?>
<Product_Bundle xmlns="http://pds.nasa.gov/pds4/pds/v1">
  <Identification_Area><logical_identifier>urn:nasa:pds:replica</logical_identifier>
    <version_id>1.0</version_id><title>Replica bundle</title></Identification_Area>
  <Bundle_Member_Entry><lid_reference>urn:nasa:pds:replica:data_lpr</lid_reference>
    <member_status>Primary</member_status><reference_type>bundle_has_data_collection</reference_type>
  </Bundle_Member_Entry>
</Product_Bundle>
""")
    return root
