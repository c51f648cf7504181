"""LROC PDS4 migration labels (``lro:`` Mission_Area) over a PDS3 ``.IMG`` (Header + Array_2D_Image)."""
from __future__ import annotations

from dataclasses import dataclass


from .common import BUNDLE_LID, fmt_time, lf, md5
from .lroc_pds3 import LROCObs, lroc_img_file
from .pds4_xml import IM_VERSION, SCHEMA_PDS, array_2d, bounding_coordinates, internal_reference


@dataclass
class LROCPds4:
    obs: LROCObs
    kind: str                                      # EDR / CDR
    lines: int
    samples: int
    bbox: tuple[float, float, float, float]        # west, east, north, south
    seed: int
    label_date: str


LROC_PDS4 = [
    LROCPds4(obs=LROCObs(start="2011-05-14T07:33:12.517", duration=24.318, frame="LEFT", phase="SCIENCE MISSION",
                         rationale="APOLLO 15 LANDING SITE", upload="SC_2011134_0000_A_V01.txt",
                         created="2011-06-02T22:41:09", version="v1.9", temps=(2.97, 16.45, -11.83, 7.52),
                         temps_raw=(2812, 2174, 3391, 2602), exposure_ms=0.4312, exposure_code=9, offsets=(41, 105),
                         mission_name=True),
             kind="CDR", lines=40, samples=64, bbox=(3.5817, 3.6934, 26.2541, 25.9873), seed=1,
             label_date="2024-03-18"),
    LROCPds4(obs=LROCObs(start="2010-09-24T17:06:48.902", duration=21.774, frame="RIGHT", phase="NOMINAL MISSION",
                         rationale="REINER GAMMA SWIRL", upload="SC_2010267_0000_B_V02.txt",
                         created="2010-12-03T01:19:56", version="v1.8", temps=(3.12, 18.04, -12.66, 10.31),
                         temps_raw=(2797, 2101, 3422, 2455), exposure_ms=0.8256, exposure_code=61, offsets=(38, 101),
                         mission_name=True),
             kind="EDR", lines=40, samples=64, bbox=(301.0112, 301.1495, 7.5621, 7.2208), seed=4,
             label_date="2024-03-18"),
]

LROC_DESCRIPTION = """        The Lunar Reconnaissance Orbiter Camera (LROC) Wide Angle Camera (WAC) and Narrow Angle Cameras
        (NACs) are on the NASA Lunar Reconnaissance Orbiter (LRO). The WAC is a 7-color push-frame camera (100
        and 400 m/pixel visible and UV, respectively), while the two NACs are monochrome narrow-angle linescan
        imagers (0.5 m/pixel). The primary mission of LRO is to obtain measurements of the Moon that will enable
        future lunar human exploration."""

LROC_QUALITY_TEXT = """            The DATA_QUALITY_ID is set to an 8-bit value that encodes the following data quality information
            for the observation. For each bit  a value of 0 means FALSE and a value of 1 means TRUE. More
            information about the data quality ID can be found in the LROC EDR/CDR SIS, section 3.3 'Label
            and Header Descriptions'. Bit 1: Temperature of focal plane array is out of bounds. Bit 2:
            Threshold for saturated pixels is reached. Bit 3: Threshold for under-saturated pixels is
            reached. Bit 4: Observation is missing telemetry packets. Bit 5: SPICE information is bad or
            missing. Bit 6: Observation or housekeeping information is bad or missing. Bit 7: Spare.
            Bit 8: Spare."""


def lroc_pds4_product(p: LROCPds4) -> dict:
    made = lroc_img_file(p.obs, p.kind, p.lines, p.samples, seed=p.seed)
    ids = made["ids"]
    pid = ids["product_id"]
    img_name = pid + ".IMG"
    content = made["content"]
    o = p.obs
    lid = f"{BUNDLE_LID}:lro_lroc:{pid.lower()}"
    level = {"EDR": ("Raw", "UnsignedByte", "Raw"), "CDR": ("Calibrated", "IEEE754LSBSingle", "I/F")}[p.kind]
    west, east, north, south = p.bbox
    mission_params = [
        f"        <lro:product_type>{p.kind}</lro:product_type>",
        f"        <lro:product_version_id>{o.version}</lro:product_version_id>",
        f"        <lro:orbit_number>{ids['orbit']}</lro:orbit_number>",
        f"        <lro:mission_phase_name>{o.phase}</lro:mission_phase_name>",
        f"        <lro:spacecraft_clock_start_count>{ids['sclk_start']}</lro:spacecraft_clock_start_count>",
        f"        <lro:spacecraft_clock_stop_count>{ids['sclk_stop']}</lro:spacecraft_clock_stop_count>",
        "        <lro:producer_institution_name>Arizona State University</lro:producer_institution_name>",
        "        <lro:LROC_Parameters>",
        "          <!-- Parameters specific to LROC -->",
        f"          <lro:upload_id>{o.upload}</lro:upload_id>",
        f"          <lro:rationale_desc>{o.rationale}</lro:rationale_desc>",
        f"          <lro:data_quality_id>{o.quality}</lro:data_quality_id>",
        "          <lro:data_quality_desc>",
        LROC_QUALITY_TEXT,
        "          </lro:data_quality_desc>",
        "          <!-- NAC specific attributes -->",
        f"          <lro:preroll_time>{fmt_time(ids['preroll'], 6, 'Z')}</lro:preroll_time>",
        f"          <lro:spacecraft_clock_preroll_count>{ids['sclk_preroll']}</lro:spacecraft_clock_preroll_count>",
        f"          <lro:frame_id>{o.frame}</lro:frame_id>",
        "          <!-- NAC environment attributes -->",
        f'          <lro:temperature_scs unit="degC">{o.temps[0]}</lro:temperature_scs>',
        f'          <lro:temperature_fpa unit="degC">{o.temps[1]}</lro:temperature_fpa>',
        f'          <lro:temperature_fpga unit="degC">{o.temps[2]}</lro:temperature_fpga>',
        f'          <lro:temperature_telescope unit="degC">{o.temps[3]}</lro:temperature_telescope>',
        f"          <lro:temperature_scs_raw>{o.temps_raw[0]}</lro:temperature_scs_raw>",
        f"          <lro:temperature_fpa_raw>{o.temps_raw[1]}</lro:temperature_fpa_raw>",
        f"          <lro:temperature_fpga_raw>{o.temps_raw[2]}</lro:temperature_fpga_raw>",
        f"          <lro:temperature_telescope_raw>{o.temps_raw[3]}</lro:temperature_telescope_raw>",
        "          <!-- NAC imaging attributes -->",
        f'          <lro:line_exposure_duration unit="ms">{o.exposure_ms}</lro:line_exposure_duration>',
        f"          <lro:line_exposure_code>{o.exposure_code}</lro:line_exposure_code>",
        "          <lro:dac_reset_level>198</lro:dac_reset_level>",
        f"          <lro:channel_a_offset>{o.offsets[0]}</lro:channel_a_offset>",
        f"          <lro:channel_b_offset>{o.offsets[1]}</lro:channel_b_offset>",
        "          <lro:compand_code>0</lro:compand_code>",
        "          <lro:line_code>51</lro:line_code>",
    ]
    for name, values in (("bterm", (0, 8, 25, 59, 128)), ("mterm", (0.5, 0.25, 0.125, 0.0625, 0.03125)),
                         ("xterm", (0, 32, 136, 543, 2207))):
        mission_params += [f"          <lro:{name}{n}>{v}</lro:{name}{n}>" for n, v in enumerate(values, 1)]
    mission_params += ["          <lro:compression_flag>1</lro:compression_flag>", "          <lro:mode>7</lro:mode>",
                       "        </lro:LROC_Parameters>"]
    element_extra = [] if p.kind == "EDR" else ["<unit>I/F</unit>"]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "",
        "<Product_Observational",
        '  xmlns="http://pds.nasa.gov/pds4/pds/v1"',
        '  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
        '  xmlns:cart="http://pds.nasa.gov/pds4/cart/v1"',
        '  xmlns:lro="http://pds.nasa.gov/pds4/mission/lro/v1"',
        f'  xsi:schemaLocation="http://pds.nasa.gov/pds4/pds/v1 {SCHEMA_PDS}">',
        "",
        "  <Identification_Area>",
        f"    <logical_identifier>{lid}</logical_identifier>",
        "    <version_id>1.0</version_id>",
        f"    <title>Lunar Reconnaissance Orbiter Camera NAC {p.kind} Product</title>",
        f"    <information_model_version>{IM_VERSION}</information_model_version>",
        "    <product_class>Product_Observational</product_class>",
        "    <Alias_List>",
        "      <Alias>",
        f"        <alternate_id>{img_name}</alternate_id>",
        "        <comment>Original filename at PDS3 archive, on-line at LROC Node</comment>",
        "      </Alias>",
        "      <Alias>",
        f"        <alternate_id>{ids['original']}</alternate_id>",
        "        <comment>PDS3 SOURCE_PRODUCT_ID</comment>",
        "      </Alias>",
        "    </Alias_List>",
        "    <Modification_History>",
        "      <Modification_Detail>",
        f"        <modification_date>{p.label_date}</modification_date>",
        "        <version_id>1.0</version_id>",
        "        <description>",
        "          This PDS4 labeled (detached label) product (orig PDS3 image) is part of the archive_fed",
        f"          sample bundle, in the style of the LUNAR RECONNAISSANCE ORBITER CAMERA NAC {p.kind} migration to PDS4.",
        "        </description>",
        "      </Modification_Detail>",
        "    </Modification_History>",
        "  </Identification_Area>",
        "  <Observation_Area>",
        "    <Time_Coordinates>",
        f"      <start_date_time>{fmt_time(ids['start'], 6, 'Z')}</start_date_time>",
        f"      <stop_date_time>{fmt_time(ids['stop'], 6, 'Z')}</stop_date_time>",
        "    </Time_Coordinates>",
        "    <Primary_Result_Summary>",
        "      <purpose>Science</purpose>",
        f"      <processing_level>{level[0]}</processing_level>",
        "      <description>",
        LROC_DESCRIPTION,
        "      </description>",
        "    </Primary_Result_Summary>",
        "    <Investigation_Area>",
        "      <name>LUNAR RECONNAISSANCE ORBITER</name>",
        "      <type>Mission</type>",
        *internal_reference("      ", "urn:nasa:pds:context:investigation:mission.lunar_reconnaissance_orbiter",
                            "data_to_investigation", "This is the PDS4 logical identifier for LRO"),
        "    </Investigation_Area>",
        "    <Observing_System>",
        "      <Observing_System_Component>",
        "        <name>LUNAR RECONNAISSANCE ORBITER</name>",
        "        <type>Host</type>",
        *internal_reference("        ", "urn:nasa:pds:context:instrument_host:spacecraft.lro", "is_instrument_host"),
        "      </Observing_System_Component>",
        "      <Observing_System_Component>",
        "        <name>LUNAR RECONNAISSANCE ORBITER CAMERA</name>",
        "        <type>Instrument</type>",
        *internal_reference("        ", "urn:nasa:pds:context:instrument:lro.lroc", "is_instrument"),
        "      </Observing_System_Component>",
        "    </Observing_System>",
        "    <Target_Identification>",
        "      <name>MOON</name>",
        "      <type>Satellite</type>",
        *internal_reference("      ", "urn:nasa:pds:context:target:satellite.earth.moon", "data_to_target"),
        "    </Target_Identification>",
        "    <Mission_Area>",
        "      <lro:LRO_Parameters>",
        "        <!-- parameters for all LRO products -->",
        *mission_params,
        "      </lro:LRO_Parameters>",
        "    </Mission_Area>",
        *bounding_coordinates("    ", west, east, north, south, "image"),
        "  </Observation_Area>",
        "  <Reference_List>",
        "    <External_Reference>",
        "      <doi>10.1007/s11214-010-9634-2</doi>",
        "      <reference_text>Robinson, M. S. et al., 2010, \"Lunar Reconnaissance Orbiter Camera (LROC) Instrument",
        "        Overview\", Space Science Reviews, Volume 150, Issue 1-4, pp. 81-124",
        "      </reference_text>",
        "      <description>instrument overview</description>",
        "    </External_Reference>",
        "  </Reference_List>",
        "  <File_Area_Observational>",
        "    <File>",
        f"      <file_name>{img_name}</file_name>",
        f"      <local_identifier>{pid.lower()}_file</local_identifier>",
        f"      <creation_date_time>{o.created}Z</creation_date_time>",
        f'      <file_size unit="byte">{len(content)}</file_size>',
        f"      <records>{made['label_records'] + p.lines * made['image'].dtype.itemsize * p.samples // made['record_bytes']}</records>",
        f"      <md5_checksum>{md5(content)}</md5_checksum>",
        "    </File>",
        "    <Header>",
        "      <local_identifier>pds3_label</local_identifier>",
        '      <offset unit="byte">0</offset>',
        f'      <object_length unit="byte">{made["header_bytes"]}</object_length>',
        "      <parsing_standard_id>PDS3</parsing_standard_id>",
        "      <description>The attached PDS3 label of the original product.</description>",
        "    </Header>",
        *array_2d("    ", "image", made["header_bytes"], level[1], p.lines, p.samples, element_extra),
        "  </File_Area_Observational>",
        "</Product_Observational>",
    ]
    return {
        "files": {f"lro_lroc/{pid}.xml": lf(lines), f"lro_lroc/{img_name}": content},
        "lidvid": f"{lid}::1.0",
        "time": (fmt_time(ids["start"], 6, "Z"), fmt_time(ids["stop"], 6, "Z")),
        "summary": dict(product_id=pid, lid=lid, bbox=p.bbox, shape=(p.lines, p.samples)),
    }
