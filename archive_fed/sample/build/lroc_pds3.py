"""The LROC PDS3 EDR dialect: attached labels, FIXED_LENGTH records, ``^IMAGE`` record pointer,
MD5_CHECKSUM; one product on the volume (the PDS4 migration products reuse its observations)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import LROC_ID_OFFSET, crlf, fmt_time, lro_orbit, lro_sclk, md5, pad_to, parse_time, shift


# ============================================================================== PDS3: LROC NAC EDR (attached)
LROC_QUALITY_DESC = [
    '"The DATA_QUALITY_ID is set to an 8-bit',
    "   value that encodes the following data quality information for the",
    "   observation. For each bit  a value of 0 means FALSE and a value of 1 means",
    "   TRUE. More information about the data quality ID can be found in the LROC",
    "   EDR/CDR SIS, section 3.3 'Label and Header Descriptions'.",
    "       Bit 1: Temperature of focal plane array is out of bounds.",
    "       Bit 2: Threshold for saturated pixels is reached.",
    "       Bit 3: Threshold for under-saturated pixels is reached.",
    "       Bit 4: Observation is missing telemetry packets.",
    "       Bit 5: SPICE information is bad or missing.",
    "       Bit 6: Observation or housekeeping information is bad or missing.",
    "       Bit 7: Spare.",
    '       Bit 8: Spare."',
]


@dataclass
class LROCObs:
    start: str
    duration: float
    frame: str                 # LEFT / RIGHT
    phase: str
    rationale: str
    upload: str
    created: str
    version: str
    temps: tuple[float, float, float, float]
    temps_raw: tuple[int, int, int, int]
    exposure_ms: float
    exposure_code: int
    offsets: tuple[int, int]
    summing: int = 1
    quality: int = 0
    mission_name: bool = False          # the sample volume's EDR omits MISSION_NAME (see README)


def lroc_ids(o: LROCObs, kind: str) -> dict:
    start = parse_time(o.start)
    preroll = shift(start, -0.345)
    stop = shift(start, o.duration)
    p_s, p_t = lro_sclk(preroll)
    s_s, s_t = lro_sclk(start)
    e_s, e_t = lro_sclk(stop)
    suffix = {"EDR": "E", "CDR": "C"}[kind]
    product_id = f"M{p_s - LROC_ID_OFFSET}{o.frame[0]}{suffix}"
    return dict(start=start, stop=stop, preroll=preroll, product_id=product_id, orbit=lro_orbit(start),
                sclk_preroll=f"1/{p_s}:{p_t:05d}", sclk_start=f"1/{s_s}:{s_t:05d}", sclk_stop=f"1/{e_s}:{e_t:05d}",
                original=f"nac{o.frame[0].lower()}{(p_s * 7) % 0x100000:08x}")


def lroc_pds3_label(o: LROCObs, kind: str, record_bytes: int, label_records: int, lines: int, samples: int,
                    image_md5: str) -> bytes:
    ids = lroc_ids(o, kind)
    level = {"EDR": ("LRO-L-LROC-2-EDR-V1.0", 8, "LSB_INTEGER", '"RAW_INSTRUMENT_COUNT"'),
             "CDR": ("LRO-L-LROC-3-CDR-V1.0", 32, "PC_REAL", '"I/F"')}[kind]
    k = lambda key, value, indent=0: (" " * indent + key).ljust(35) + "= " + str(value)  # noqa: E731
    lines_ = [
        k("PDS_VERSION_ID", "PDS3"),
        "",
        "/*FILE CHARACTERISTICS*/",
        k("RECORD_TYPE", "FIXED_LENGTH"),
        k("RECORD_BYTES", record_bytes),
        k("FILE_RECORDS", label_records + lines * samples * level[1] // 8 // record_bytes),
        k("LABEL_RECORDS", label_records),
        k("^IMAGE", label_records + 1),
        "",
        "/*DATA IDENTIFICATION*/",
        k("DATA_SET_ID", f'"{level[0]}"'),
        k("ORIGINAL_PRODUCT_ID", ids["original"]),
        k("PRODUCT_ID", ids["product_id"]),
    ]
    if o.mission_name:
        lines_.append(k("MISSION_NAME", '"LUNAR RECONNAISSANCE ORBITER"'))
    lines_ += [
        k("MISSION_PHASE_NAME", f'"{o.phase}"'),
        k("INSTRUMENT_HOST_NAME", '"LUNAR RECONNAISSANCE ORBITER"'),
        k("INSTRUMENT_HOST_ID", "LRO"),
        k("INSTRUMENT_NAME", '"LUNAR RECONNAISSANCE ORBITER CAMERA"'),
        k("INSTRUMENT_ID", "LROC"),
        k("LRO:PREROLL_TIME", fmt_time(ids["preroll"], 3)),
        k("START_TIME", fmt_time(ids["start"], 3)),
        k("STOP_TIME", fmt_time(ids["stop"], 3)),
        k("LRO:SPACECRAFT_CLOCK_PREROLL_COUNT", f'"{ids["sclk_preroll"]}"'),
        k("SPACECRAFT_CLOCK_START_COUNT", f'"{ids["sclk_start"]}"'),
        k("SPACECRAFT_CLOCK_STOP_COUNT", f'"{ids["sclk_stop"]}"'),
        k("ORBIT_NUMBER", ids["orbit"]),
        k("PRODUCER_ID", "LRO_LROC_TEAM"),
        k("PRODUCT_CREATION_TIME", o.created),
        k("PRODUCER_INSTITUTION_NAME", '"ARIZONA STATE UNIVERSITY"'),
        k("PRODUCT_TYPE", kind),
        k("PRODUCT_VERSION_ID", f'"{o.version}"'),
        k("UPLOAD_ID", f'"{o.upload}"'),
        "",
        "/*DATA DESCRIPTION*/",
        k("TARGET_NAME", '"MOON"'),
        k("RATIONALE_DESC", f'"{o.rationale}"'),
        k("FRAME_ID", o.frame),
        k("DATA_QUALITY_ID", f'"{o.quality}"'),
        k("DATA_QUALITY_DESC", LROC_QUALITY_DESC[0]),
        *LROC_QUALITY_DESC[1:],
        "",
        "/*ENVIRONMENT*/",
        k("LRO:TEMPERATURE_SCS", f"{o.temps[0]:.2f} <degC>"),
        k("LRO:TEMPERATURE_FPA", f"{o.temps[1]:.2f} <degC>"),
        k("LRO:TEMPERATURE_FPGA", f"{o.temps[2]:.2f} <degC>"),
        k("LRO:TEMPERATURE_TELESCOPE", f"{o.temps[3]:.2f} <degC>"),
        k("LRO:TEMPERATURE_SCS_RAW", o.temps_raw[0]),
        k("LRO:TEMPERATURE_FPA_RAW", o.temps_raw[1]),
        k("LRO:TEMPERATURE_FPGA_RAW", o.temps_raw[2]),
        k("LRO:TEMPERATURE_TELESCOPE_RAW", o.temps_raw[3]),
        "",
        "/*IMAGING PARAMETERS*/",
        k("CROSSTRACK_SUMMING", o.summing),
        k("BANDWIDTH", "300 <nm>"),
        k("CENTER_FILTER_WAVELENGTH", "600 <nm>"),
        k("LINE_EXPOSURE_DURATION", f"{o.exposure_ms:.6f} <ms>"),
        k("LRO:LINE_EXPOSURE_CODE", o.exposure_code),
        k("LRO:DAC_RESET_LEVEL", 198),
        k("LRO:CHANNEL_A_OFFSET", o.offsets[0]),
        k("LRO:CHANNEL_B_OFFSET", o.offsets[1]),
        k("LRO:COMPAND_CODE", 0),
        k("LRO:LINE_CODE", 51),
        k("LRO:BTERM", "(0,8,25,59,128)"),
        k("LRO:MTERM", "(0.5,0.25,0.125,0.0625,0.03125)"),
        k("LRO:XTERM", "(0,32,136,543,2207)"),
        k("LRO:COMPRESSION_FLAG", 1),
        k("LRO:MODE", 7),
        "",
        "/*DATA OBJECT*/",
        k("OBJECT", "IMAGE"),
        k("LINES", lines, 4),
        k("LINE_SAMPLES", samples, 4),
        k("SAMPLE_BITS", level[1], 4),
        k("SAMPLE_TYPE", level[2], 4),
        k("UNIT", level[3], 4),
        k("MD5_CHECKSUM", f'"{image_md5}"', 4),
        k("END_OBJECT", "IMAGE"),
        "END",
    ]
    return crlf(lines_)


def lroc_image(lines: int, samples: int, kind: str, seed: int) -> np.ndarray:
    y, x = np.mgrid[0:lines, 0:samples].astype(np.int64)
    dn = 34 + (x * 150) // samples + 3 * y + ((x // 7 + y * 3 + seed) % 9) * 5
    dn = np.where((x - samples * 2 // 3) ** 2 + (y - lines // 2) ** 2 * 16 < (samples // 6) ** 2, dn - 30, dn)
    if kind == "EDR":
        return dn.astype(np.uint8)
    return (dn.astype(np.float64) / 1000.0).astype("<f4")       # calibrated I/F


def lroc_img_file(o: LROCObs, kind: str, lines: int, samples: int, record_bytes: int | None = None,
                  seed: int = 0) -> dict:
    """An attached-label LROC .IMG: PDS3 label in LABEL_RECORDS fixed-length records, then the image."""
    image = lroc_image(lines, samples, kind, seed)
    data = image.tobytes()
    record_bytes = record_bytes or samples * image.dtype.itemsize
    label_records = 1
    while True:
        text = lroc_pds3_label(o, kind, record_bytes, label_records, lines, samples, md5(data))
        need = -(-len(text) // record_bytes)
        if need <= label_records:
            break
        label_records = need
    header = pad_to(text, label_records * record_bytes)
    return dict(content=header + data, header_bytes=len(header), image=image, ids=lroc_ids(o, kind),
                label_records=label_records, record_bytes=record_bytes)


LROC_VOLUME_OBS = LROCObs(start="2010-04-03T09:14:27.316", duration=17.629, frame="LEFT", phase="NOMINAL MISSION",
                          rationale="LUNAR RECONNAISSANCE ORBITER CAMERA CALIBRATION", upload="SC_2010093_0000_A_V01.txt",
                          created="2010-07-14T19:02:41", version="v1.8", temps=(3.41, 17.12, -13.55, 9.84),
                          temps_raw=(2791, 2138, 3457, 2488), exposure_ms=0.3376, exposure_code=0, offsets=(42, 106))


def lroc_volume_product() -> dict:
    made = lroc_img_file(LROC_VOLUME_OBS, "EDR", lines=20, samples=5064, record_bytes=5064)
    assert made["label_records"] == 1, "the EDR label must fit in one record (^IMAGE = 2)"
    ids = made["ids"]
    img_name = ids["product_id"] + ".IMG"
    path = f"DATA/LROC/EDR/{ids['start'].strftime('%Y%j')}/NAC/"
    return {
        "files": {path + img_name: made["content"]},
        "index": dict(path=path, file=img_name, product_id=ids["product_id"], data_set_id="LRO-L-LROC-2-EDR-V1.0",
                      instrument="LROC", start=fmt_time(ids["start"], 3), stop=fmt_time(ids["stop"], 3),
                      created=LROC_VOLUME_OBS.created),
        "summary": dict(product_id=ids["product_id"]),
    }
