"""GRAS Chang'e-4 LPR Level 2B products: binary radargram tables and their ``.2BL`` PDS4-style XML labels
(IM 1.5.0.0, tabs, literal ``None``)."""
from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from .common import parse_time


# ============================================================================ PDS4: Chang'e-4 LPR (GRAS dialect)
CE4_EPOCH = datetime(2009, 12, 31, 16, 0, 0)      # the GRAS TIME field counts from 2009-12-31T16:00:00 UTC


@dataclass
class CE4Product:
    channel: str                   # "2B" or "1"
    window: tuple[str, str]        # the name's start/stop, YYYYMMDDhhmmss
    sequence: str
    start: str                     # first record time (UTC, ms)
    stop: str
    records: int
    position: tuple[float, float]  # longitude, latitude (deg)
    rover_xyz: tuple[float, float, float]
    reference_xyz: tuple[float, float, float]
    created: str
    seed: int


CE4_PRODUCTS = [
    CE4Product(channel="2B", window=("20190110063001", "20190111052000"), sequence="0007",
               start="2019-01-10T06:31:12.447", stop="2019-01-10T06:39:58.102", records=12,
               position=(177.599034, -45.444690), rover_xyz=(0.412, -1.036, 0.004),
               reference_xyz=(-8.214, 11.307, -0.203), created="2019-01-16T03:12:00.000", seed=3),
    CE4Product(channel="1", window=("20200417084001", "20200418070000"), sequence="0161",
               start="2020-04-17T08:41:37.915", stop="2020-04-17T08:52:05.630", records=4,
               position=(177.588213, -45.441874), rover_xyz=(3.905, -6.420, 0.031),
               reference_xyz=(-271.552, 305.118, -2.617), created="2020-04-23T07:45:00.000", seed=5),
    CE4Product(channel="2B", window=("20221105073001", "20221106063000"), sequence="0282",
               start="2022-11-05T07:33:20.061", stop="2022-11-05T07:44:51.884", records=8,
               position=(177.584561, -45.439507), rover_xyz=(1.227, -2.954, -0.012),
               reference_xyz=(-402.906, 463.771, -4.085), created="2022-11-11T08:21:00.000", seed=11),
]


def ce4_layout(p: CE4Product) -> dict:
    echoes = 2048 if p.channel == "2B" else 8192
    return dict(echoes=echoes, record_length=114 + 4 * echoes + 1,
                interval="0.312500" if p.channel == "2B" else "2.500000",
                frequency=("500", "450", "30") if p.channel == "2B" else ("60", "40", "/"),
                frame_id=bytes.fromhex("146F2222" if p.channel == "2B" else "146F1111"),
                mark=0x2B if p.channel == "2B" else 0x11)


def ce4_name(p: CE4Product) -> str:
    return f"CE4_GRAS_LPR-{p.channel}_SCI_N_{p.window[0]}_{p.window[1]}_{p.sequence}_A.2B"


def ce4_data(p: CE4Product) -> bytes:
    lay = ce4_layout(p)
    n = lay["echoes"]
    start, stop = parse_time(p.start), parse_time(p.stop)
    span_ms = (stop - start) // timedelta(milliseconds=1)
    i = np.arange(n, dtype=np.float64)
    records = []
    for r in range(p.records):
        t = start + timedelta(milliseconds=span_ms * r // max(p.records - 1, 1))
        elapsed = t - CE4_EPOCH
        seconds = elapsed.days * 86400 + elapsed.seconds
        ms = elapsed.microseconds // 1000
        x, y, z = p.rover_xyz
        rx, ry, rz = p.reference_xyz
        head = lay["frame_id"] + struct.pack(">IH", seconds, ms)
        head += struct.pack(">13f", 0.055 if 0 < r < p.records - 1 else 0.0,
                            x + 0.0625 * r, y - 0.03125 * r, z, 1.25 + 0.125 * (r % 3), -0.75, 132.5 + 0.25 * r,
                            rx, ry, rz, 0.5, -0.25, 141.0)
        head += bytes((p.seed * 17 + j * 29) % 256 for j in range(11))               # DataParameter1
        head += bytes((0xFF, 0xFF, 0x1E + p.seed, 0x0F, 0x24, 0x2A))               # mode and gains
        head += bytes((p.seed + j * 3) % 7 for j in range(28))                      # DataParameter2
        head += struct.pack("<HHH", n, 1 + r + p.seed * 100, 1 + r + p.seed * 100)
        head += bytes((lay["mark"],))
        # a synthetic trace: a direct wave, two reflectors drifting with the record, decaying clutter
        clutter = ((i * 7919 + r * 104729 + p.seed * 31) % 2001 - 1000) / 1000.0 * 40.0 / (1.0 + i / 256.0)
        trace = clutter
        for centre, width, amp in ((40.0, 12.0, 3000.0), (n * 0.23 + r * 2.0, 20.0, 420.0),
                                   (n * 0.58 - r * 3.0, 28.0, 150.0)):
            trace = trace + np.where(np.abs(i - centre) < width, amp * (1.0 - np.abs(i - centre) / width), 0.0)
        body = trace.astype("<f4").tobytes()
        record = head + body + bytes((0,))
        assert len(record) == lay["record_length"]
        records.append(record)
    return b"".join(records)


CE4_FIELDS = [
    # name, type, length, format, unit, description ({frame} is replaced)
    ("FRAME_IDENTIFICATION", "UnsignedByte", 4, "None", "none", "Frame Identifier, {frame}"),
    ("TIME", "UnsignedByte", 6, "None", "none", "UTC time, the first four bytes represent seconds, the last two "
     "bytes represent milliseconds, basing on 2009-12-31-16-00-00-000"),
    ("VELOCITY", "IEEE754MSBSingle", 4, "F.6", "m/s", "Velocity"),
    ("XPOSITION", "IEEE754MSBSingle", 4, "F.6", "m", "The xposition,yposition and zposition of Rover are based on "
     "Reference Point Coordinate System, with coordinate center {centre} the reference ponit. The x axis points to "
     "north and the y axis points to east and the z axis points to the lunar core."),
    ("YPOSITION", "IEEE754MSBSingle", 4, "F.6", "m", "The yposition of Rover."),
    ("ZPOSITION", "IEEE754MSBSingle", 4, "F.6", "m", "The zposition of Rover."),
    ("ATT_PITCHING", "IEEE754MSBSingle", 4, "F.6", "deg", "The pitch angle, roll angle and yaw angle of Rover are "
     "based on Reference Point Coordinate System, with coordinate center {centre} the reference ponit. The x axis "
     "points to north and the y axis points to east and the z axis points to the lunar core."),
    ("ATT_ROLLING", "IEEE754MSBSingle", 4, "F.6", "deg", "The roll angle of Rover."),
    ("ATT_YAWING", "IEEE754MSBSingle", 4, "F.6", "deg", "The yaw angle of Rover."),
    ("REFERENCE_POINT_XPOSITION", "IEEE754MSBSingle", 4, "F.6", "m", "The xposition, yposition and zposition of "
     "reference ponit are based on Landing-site Regional Coordinate System, with coordinate center {centre} CE4 "
     "Lander. The x axis points to east and the y axis points to north and the z axis points to zenith."),
    ("REFERENCE_POINT_YPOSITION", "IEEE754MSBSingle", 4, "F.6", "m", "The yposition of reference ponit."),
    ("REFERENCE_POINT_ZPOSITION", "IEEE754MSBSingle", 4, "F.6", "m", "The zposition of reference ponit."),
    ("REFERENCE_POINT_ATT_PITCHING", "IEEE754MSBSingle", 4, "F.6", "deg", "The pitch angle, roll angle and yaw "
     "angle of Rover in reference ponit are based on Landing-site Regional Coordinate System, with coordinate "
     "center {centre} CE4 Lander. The x axis points to east and the y axis points to north and the z axis points "
     "to zenith."),
    ("REFERENCE_POINT_ATT_ROLLING", "IEEE754MSBSingle", 4, "F.6", "deg", "The roll angle of Rover in reference "
     "ponit."),
    ("REFERENCE_POINT_ATT_YAWING", "IEEE754MSBSingle", 4, "F.6", "deg", "The yaw angle of Rover in reference "
     "ponit."),
    ("DataParameter1", "UnsignedByte", 11, "None", "none", "DataParameter1"),
    ("RADAR_WORKING_MODE", "UnsignedByte", 1, "None", "none", "0x00: standby, 0x0f: only Channel 1 works, 0xf0: "
     "only Channel 2 works, 0xff: Channel 1 and Channel 2 work."),
    ("RADAR_CHANNEL_1_GAIN_MODE", "UnsignedByte", 1, "None", "none", "0x00: variational gain, 0xff: fixed gain."),
    ("RADAR_CHANNEL_1_GAIN_VALUE", "UnsignedByte", 1, "None", "none", "convert to decimalism."),
    ("RADAR_CHANNEL_2_GAIN_MODE", "UnsignedByte", 1, "None", "none", "0x00: Antenna A variational gain, Antenna B "
     "variational gain. 0x0f: Antenna A variational gain, Antenna B fixed gain. 0xf0: Antenna A fixed gain, "
     "Antenna B variational gain. 0xff: Antenna A fixed gain, Antenna B fixed gain."),
    ("RADAR_CHANNEL_2_GAIN_VALUE_1", "UnsignedByte", 1, "None", "none", "convert to decimalism."),
    ("RADAR_CHANNEL_2_GAIN_VALUE_2", "UnsignedByte", 1, "None", "none", "convert to decimalism."),
    ("DataParameter2", "UnsignedByte", 28, "None", "none", "DataParameter2"),
    ("VALID_DATA_LENGTH", "UnsignedLSB2", 2, "None", "none", "Length of channel 1 valid data within a data record."),
    ("CHANNEL_1_RECORD_COUNT", "UnsignedLSB2", 2, "None", "none", "The sequence number of channel 1 data records "
     "(or time windows)."),
    ("CHANNEL_2_RECORD_COUNT", "UnsignedLSB2", 2, "None", "none", "The sequence number of channel 2 data records "
     "(or time windows)."),
    ("CHANNEL_AND_ANTENNA_MARK", "UnsignedByte", 1, "None", "none", "11: Channel 1. 2A: Channel 2 antenna A. 2B: "
     "Channel 2 antenna B."),
]


def ce4_label(p: CE4Product, data: bytes) -> bytes:
    lay = ce4_layout(p)
    name = ce4_name(p)
    frame = "0x146F2222: Channel 2 data" if p.channel == "2B" else "0x146F1111: Channel 1 data"
    centre = "is" if p.channel == "2B" else "representing"
    lon, lat = p.position
    t = "\t"
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<Product_Observational xmlns="http://pds.nasa.gov/pds4/pds/v1" xmlns:pds="http://pds.nasa.gov/pds4/pds/v1" '
        'xmlns:sp="http://pds.nasa.gov/pds4/sp/v1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://pds.nasa.gov/pds4/pds/v1,https://starbase.jpl.nasa.gov/pds4/1500/'
        'dph_example_products/xml_schema/PDS4_PDS_1500.xsd,http://pds.nasa.gov/pds4/sp/v1 PDS4_SP_1001.xsd">',
        f"{t}<Identification_Area>",
        f"{t*2}<logical_identifier>{name}</logical_identifier>",
        f"{t*2}<version_id>1.0</version_id>",
        f"{t*2}<title>Chang'E 4(CE-4) mission</title>",
        f"{t*2}<information_model_version>1.5.0.0</information_model_version>",
        f"{t*2}<product_class>Product_Observational</product_class>",
        f"{t*2}<Modification_History>",
        f"{t*3}<Modification_Detail>",
        f"{t*4}<modification_date>2019-01-03</modification_date>",
        f"{t*4}<version_id>1.0</version_id>",
        f"{t*4}<description>None</description>",
        f"{t*3}</Modification_Detail>",
        f"{t*2}</Modification_History>",
        f"{t}</Identification_Area>",
        f"{t}<Reference_List>None</Reference_List>",
        f"{t}<Observation_Area>",
        f"{t*2}<Time_Coordinates>",
        f"{t*3}<start_date_time>{p.start}Z</start_date_time>",
        f"{t*3}<stop_date_time>{p.stop}Z</stop_date_time>",
        f"{t*2}</Time_Coordinates>",
        f"{t*2}<Primary_Result_Summary>",
        f"{t*3}<purpose>Science</purpose>",
        f"{t*3}<processing_level>Calibrated</processing_level>",
        f"{t*3}<Science_Facets>",
        f"{t*4}<wavelength_range>Microwave</wavelength_range>",
        f"{t*4}<domain>Surface</domain>",
        f"{t*3}</Science_Facets>",
        f"{t*2}</Primary_Result_Summary>",
        f"{t*2}<Investigation_Area>",
        f"{t*3}<name>CE4</name>",
        f"{t*3}<type>Mission</type>",
        f"{t*2}</Investigation_Area>",
        f"{t*2}<Observing_System>",
        f"{t*3}<name>Observing System for CE4Ro</name>",
        f"{t*3}<Observing_System_Component>",
        f"{t*4}<name>CE4Ro</name>",
        f"{t*4}<type>Spacecraft</type>",
        f"{t*3}</Observing_System_Component>",
        f"{t*2}</Observing_System>",
        f"{t*2}<Target_Identification>",
        f"{t*3}<name>Lunar</name>",
        f"{t*3}<type>Satellite</type>",
        f"{t*2}</Target_Identification>",
        f"{t*2}<Mission_Area>",
        f"{t*3}<product_id>{name}</product_id>",
        f"{t*3}<product_version>A</product_version>",
        f"{t*3}<product_level>2B</product_level>",
        f"{t*3}<instrument_name>Lunar Penetrating Radar</instrument_name>",
        f"{t*3}<instrument_id>LPR</instrument_id>",
        f"{t*3}<sequence_id>{p.sequence}</sequence_id>",
        f"{t*3}<Work_Mode_Parm>",
        f'{t*4}<sampling_interval unit="ns">{lay["interval"]}</sampling_interval>',
        f"{t*3}</Work_Mode_Parm>",
        f"{t*3}<Instrument_Parm>",
        f'{t*4}<central_frequency unit="MHz">{lay["frequency"][0]}</central_frequency>',
        f'{t*4}<working_bandwidth unit="MHz">{lay["frequency"][1]}</working_bandwidth>',
        f'{t*4}<antenna_height unit="cm">{lay["frequency"][2]}</antenna_height>',
        f"{t*3}</Instrument_Parm>",
        f"{t*3}<Lander_Location>",
        f"{t*4}<reference_frame>MOON_COORDINATE_SYSTEM</reference_frame>",
        f'{t*4}<longitude unit="deg">{lon:.6f}</longitude>',
        f'{t*4}<latitude unit="deg">{lat:.6f}</latitude>',
        f"{t*3}</Lander_Location>",
        f"{t*2}</Mission_Area>",
        f"{t}</Observation_Area>",
        f"{t}<File_Area_Observational>",
        f"{t*2}<File>",
        f"{t*3}<file_name>{name}</file_name>",
        f"{t*3}<local_identifier>None</local_identifier>",
        f"{t*3}<creation_date_time>{p.created}Z</creation_date_time>",
        f'{t*3}<file_size unit="byte">{len(data)}</file_size>',
        f"{t*3}<records>{p.records}</records>",
        f"{t*2}</File>",
        f"{t*2}<Table_Binary>",
        f'{t*3}<offset unit="byte">0</offset>',
        f"{t*3}<records>{p.records}</records>",
        f"{t*3}<Record_Binary>",
        f"{t*4}<fields>{len(CE4_FIELDS) + 1}</fields>",
        f"{t*4}<groups>1</groups>",
        f'{t*4}<record_length unit="byte">{lay["record_length"]}</record_length>',
    ]

    def field_binary(level: int, number: int, location: int, fname: str, dtype: str, length: int, fmt: str,
                     unit: str, desc: str) -> list[str]:
        i = t * level
        desc_line = f"{i}{t}<description />" if not desc else f"{i}{t}<description>{desc}</description>"
        return [f"{i}<Field_Binary>", f"{i}{t}<name>{fname}</name>", f"{i}{t}<field_number>{number}</field_number>",
                f'{i}{t}<field_location unit="byte">{location}</field_location>',
                f"{i}{t}<data_type>{dtype}</data_type>", f'{i}{t}<field_length unit="byte">{length}</field_length>',
                f"{i}{t}<field_format>{fmt}</field_format>", f"{i}{t}<unit>{unit}</unit>", desc_line,
                f"{i}</Field_Binary>"]

    location = 1
    for number, (fname, dtype, length, fmt, unit, desc) in enumerate(CE4_FIELDS, 1):
        out += field_binary(4, number, location, fname, dtype, length, fmt, unit,
                            desc.format(frame=frame, centre=centre))
        location += length
    n = lay["echoes"]
    sampling = "0.3125ns" if p.channel == "2B" else "2.5ns"
    out += [
        f"{t*4}<Group_Field_Binary>",
        f"{t*5}<name>ECHO_DATA</name>",
        f"{t*5}<group_number>1</group_number>",
        f"{t*5}<repetitions>{n}</repetitions>",
        f"{t*5}<fields>1</fields>",
        f"{t*5}<groups>0</groups>",
        f'{t*5}<group_location unit="byte">{location}</group_location>',
        f'{t*5}<group_length unit="byte">{4 * n}</group_length>',
        *field_binary(5, 1, 1, "ECHO_DATA", "IEEE754LSBSingle", 4, "F.6", "none",
                      f"There are {n} echoes, with a sample interval of {sampling}."),
        f"{t*4}</Group_Field_Binary>",
    ]
    location += 4 * n
    out += field_binary(4, len(CE4_FIELDS) + 1, location, "QUALITY_STATE", "UnsignedByte", 1, "None", "none", "")
    assert location == lay["record_length"]
    out += [f"{t*3}</Record_Binary>", f"{t*2}</Table_Binary>", f"{t}</File_Area_Observational>",
            "</Product_Observational>"]
    return ("\n".join(out) + "\n").encode("utf-8")
