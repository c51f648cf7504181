"""KPLO ShadowCam PDS4 products (targets Earth and Moon, cart Bounding_Coordinates)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import BUNDLE_LID, fmt_time, lf, md5, parse_time, shift
from .pds4_xml import IM_VERSION, SCHEMA_PDS, array_2d, bounding_coordinates, internal_reference


# ===================================================================================== PDS4: KPLO ShadowCam
@dataclass
class ShadowCamProduct:
    product_id: str
    start: str
    duration: float
    region: str
    bbox: tuple[float, float, float, float]      # west, east, north, south
    lines: int
    samples: int
    dtype: str                                   # IEEE754LSBSingle or UnsignedLSB2
    created: str
    seed: int


SHADOWCAM = [
    ShadowCamProduct(product_id="M045317224S", start="2023-06-14T21:03:55.418620", duration=18.304,
                     region="Faustini crater permanently shadowed region",
                     bbox=(70.214, 84.937, -86.812, -87.906), lines=48, samples=32, dtype="IEEE754LSBSingle",
                     created="2023-07-21T16:32:08", seed=2),
    ShadowCamProduct(product_id="M049920561S", start="2024-02-03T04:47:12.090317", duration=21.517,
                     region="Shackleton crater floor, containing the south pole",
                     bbox=(0.0, 360.0, -89.372, -90.0), lines=48, samples=32, dtype="UnsignedLSB2",
                     created="2024-03-08T11:05:47", seed=7),
]


def shadowcam_product(p: ShadowCamProduct) -> dict:
    y, x = np.mgrid[0:p.lines, 0:p.samples].astype(np.int64)
    counts = 180 + 6 * x + 2 * y + ((x * 3 + y * 5 + p.seed) % 13) * 4
    counts = np.where((x - 20) ** 2 + (y - 30) ** 2 < 64, counts // 3, counts)
    if p.dtype == "IEEE754LSBSingle":
        array = (counts.astype(np.float64) / 262144.0).astype("<f4")          # radiance-like, tiny in a PSR
        array[0, 0] = np.float32(-3.4028227e38)
        extra = ["<unit>W/m**2/sr/micron</unit>"]
        constants = ["<missing_constant>-3.4028227E38</missing_constant>"]
    else:
        array = counts.astype("<u2")
        array[p.lines - 1, p.samples - 1] = 0
        extra = ["<unit>W/m**2/sr/micron</unit>", "<scaling_factor>3.8147e-06</scaling_factor>",
                 "<value_offset>0.0</value_offset>"]
        constants = ["<missing_constant>0</missing_constant>"]
    data = array.tobytes()
    name = p.product_id.lower()
    lid = f"{BUNDLE_LID}:kplo_shadowcam:{name}"
    start = parse_time(p.start)
    stop = shift(start, p.duration)
    data_name = f"{p.product_id}.IMG"
    west, east, north, south = p.bbox
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml-model href="https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1K00.sch"',
        '  schematypens="http://purl.oclc.org/dsdl/schematron"?>',
        "<Product_Observational",
        '  xmlns="http://pds.nasa.gov/pds4/pds/v1"',
        '  xmlns:cart="http://pds.nasa.gov/pds4/cart/v1"',
        '  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
        f'  xsi:schemaLocation="http://pds.nasa.gov/pds4/pds/v1 {SCHEMA_PDS}">',
        "  <Identification_Area>",
        f"    <logical_identifier>{lid}</logical_identifier>",
        "    <version_id>1.0</version_id>",
        f"    <title>ShadowCam Calibrated Image {p.product_id}</title>",
        f"    <information_model_version>{IM_VERSION}</information_model_version>",
        "    <product_class>Product_Observational</product_class>",
        "    <Modification_History>",
        "      <Modification_Detail>",
        f"        <modification_date>{p.created[:10]}</modification_date>",
        "        <version_id>1.0</version_id>",
        "        <description>Initial version.</description>",
        "      </Modification_Detail>",
        "    </Modification_History>",
        "  </Identification_Area>",
        "  <Observation_Area>",
        "    <Time_Coordinates>",
        f"      <start_date_time>{fmt_time(start, 6, 'Z')}</start_date_time>",
        f"      <stop_date_time>{fmt_time(stop, 6, 'Z')}</stop_date_time>",
        "    </Time_Coordinates>",
        "    <Primary_Result_Summary>",
        "      <purpose>Science</purpose>",
        "      <processing_level>Calibrated</processing_level>",
        f"      <description>ShadowCam image of the {p.region}, radiometrically calibrated.</description>",
        "      <Science_Facets>",
        "        <wavelength_range>Visible</wavelength_range>",
        "        <discipline_name>Imaging</discipline_name>",
        "      </Science_Facets>",
        "    </Primary_Result_Summary>",
        "    <Investigation_Area>",
        "      <name>KOREA PATHFINDER LUNAR ORBITER</name>",
        "      <type>Mission</type>",
        *internal_reference("      ", "urn:nasa:pds:context:investigation:mission.kplo", "data_to_investigation"),
        "    </Investigation_Area>",
        "    <Observing_System>",
        "      <Observing_System_Component>",
        "        <name>Korea Pathfinder Lunar Orbiter (Danuri)</name>",
        "        <type>Host</type>",
        *internal_reference("        ", "urn:nasa:pds:context:instrument_host:spacecraft.kplo", "is_instrument_host"),
        "      </Observing_System_Component>",
        "      <Observing_System_Component>",
        "        <name>ShadowCam</name>",
        "        <type>Instrument</type>",
        *internal_reference("        ", "urn:nasa:pds:context:instrument:kplo.shadowcam", "is_instrument"),
        "      </Observing_System_Component>",
        "    </Observing_System>",
        "    <Target_Identification>",
        "      <name>Earth</name>",
        "      <type>Planet</type>",
        *internal_reference("      ", "urn:nasa:pds:context:target:planet.earth", "data_to_target"),
        "    </Target_Identification>",
        "    <Target_Identification>",
        "      <name>Moon</name>",
        "      <type>Satellite</type>",
        *internal_reference("      ", "urn:nasa:pds:context:target:satellite.earth.moon", "data_to_target"),
        "    </Target_Identification>",
        *bounding_coordinates("    ", west, east, north, south, "image"),
        "  </Observation_Area>",
        "  <File_Area_Observational>",
        "    <File>",
        f"      <file_name>{data_name}</file_name>",
        f"      <creation_date_time>{p.created}Z</creation_date_time>",
        f'      <file_size unit="byte">{len(data)}</file_size>',
        f"      <md5_checksum>{md5(data)}</md5_checksum>",
        "    </File>",
        *array_2d("    ", "image", 0, p.dtype, p.lines, p.samples, extra, constants),
        "  </File_Area_Observational>",
        "</Product_Observational>",
    ]
    return {
        "files": {f"kplo_shadowcam/{p.product_id}.xml": lf(lines), f"kplo_shadowcam/{data_name}": data},
        "lidvid": f"{lid}::1.0",
        "time": (fmt_time(start, 6, "Z"), fmt_time(stop, 6, "Z")),
        "summary": dict(product_id=p.product_id, lid=lid, bbox=p.bbox, shape=(p.lines, p.samples)),
    }
