"""JAXA DARTS Kaguya PDS3 products: detached TC labels (CRLF, aligned ``=``), attached MI-VIS Level 2B2
and MI_MAP labels (LF, ``Object = IMAGE`` ... ``End_Object``, wrapped sequences)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .common import INVALID_CODES, INVALID_TYPES, OUT_OF_BOUNDS, attached, crlf, dn_stats, fmt_time, isis_block, kaguya_scene_code, kaguya_sclk, lf, parse_time, place, scene_corners, seq, shift, terrain


# ==================================================================================== PDS3: Kaguya TC
@dataclass
class TCScene:
    rev: int
    start: str
    clat: float
    clon: float
    moving_south: bool
    phase: str
    strip: int
    scene: int
    illumination: str
    exposure: str
    angles: tuple[float, float, float, float]          # incidence, emission, phase, solar azimuth
    altitude: float
    ground_speed: float
    temps: tuple[float, ...]                           # focal plane, telescope, TC1 tel, TC2 tel, DPU, TM, TM rad
    created: str
    program_start: str
    day_flags: tuple[str, str, str, str]
    spice: str
    calib: tuple[str, str]                             # dark/flat file id range "ddddd_ddddd"
    image: dict
    date_dir: str
    half: tuple[float, float] = (0.66, 0.575)          # half extent: deg latitude, km-equivalent longitude deg
    lines: int = 24
    samples: int = 32


TC_EXPOSURE_MS = {"LONG": 6.5, "MIDDLE": 3.25, "SHORT": 1.625}
TC_DATA_SET = "SLN-L-TC-3-S-LEVEL2B0-V1.0"

TC_SCENES = [
    TCScene(rev=2731, start="2008-05-20T06:42:17.294516", clat=15.32, clon=21.18, moving_south=True,
            phase="Nominal", strip=1, scene=37, illumination="MORNING", exposure="MIDDLE",
            angles=(48.212, 15.204, 56.371, 102.664), altitude=101.352, ground_speed=1.551,
            temps=(20.41, 20.12, 20.33, 19.87, 15.02, 19.95, 18.22), created="2013-06-18T02:41:55",
            program_start="2013-06-18T02:41:49", day_flags=("Day", "Day", "Day", "Day"),
            spice="RGC_INF_TCv401IK_MIv200IK_SPv105IK_RISE100h_02_LongCK_D_V02_de421_110706.mk",
            calib=("02269_02938", "02269_02938"), date_dir="20080520",
            image=dict(base=520, gx=9, gy=6, crater=(12, 19, 5, 9, 140), invalid=[(3, 30, -20000), (4, 30, -20000)],
                       shadow_max=0)),
    TCScene(rev=3896, start="2008-08-23T11:05:49.731208", clat=7.83, clon=158.27, moving_south=False,
            phase="Nominal", strip=2, scene=12, illumination="EVENING", exposure="LONG",
            angles=(61.507, 14.882, 71.938, 261.305), altitude=99.478, ground_speed=1.553,
            temps=(19.88, 19.64, 19.79, 19.51, 14.77, 19.60, 17.94), created="2013-06-21T11:07:32",
            program_start="2013-06-21T11:07:26", day_flags=("Day", "Day", "Day", "Day"),
            spice="RGC_INF_TCv401IK_MIv200IK_SPv105IK_RISE100h_02_LongCK_D_V02_de421_110706.mk",
            calib=("03629_04002", "03629_04002"), date_dir="20080823",
            image=dict(base=340, gx=4, gy=11, crater=(8, 9, 6, 6, 90), invalid=[], shadow_max=0)),
    TCScene(rev=5307, start="2008-12-16T02:27:40.118372", clat=-0.08, clon=359.62, moving_south=True,
            phase="Extended", strip=1, scene=44, illumination="MORNING", exposure="SHORT",
            angles=(29.774, 15.391, 44.902, 88.517), altitude=98.116, ground_speed=1.556,
            temps=(21.05, 20.83, 20.97, 20.61, 15.40, 20.70, 18.65), created="2013-07-02T06:15:18",
            program_start="2013-07-02T06:15:11", day_flags=("Day", "Day", "Day", "Day"),
            spice="RGC_INF_TCv401IK_MIv200IK_SPv105IK_RISE100i_05_LongCK_D_V02_de421_110706.mk",
            calib=("04740_05496", "04740_05496"), date_dir="20081216",
            image=dict(base=900, gx=12, gy=-5, crater=(15, 8, 4, 14, 210), invalid=[(20, 2, -21000)],
                       shadow_max=0)),
    TCScene(rev=6812, start="2009-04-15T13:51:06.402931", clat=-85.52, clon=136.18, moving_south=True,
            phase="Extended", strip=1, scene=3, illumination="MORNING", exposure="LONG",
            angles=(87.612, 15.733, 74.105, 351.270), altitude=38.714, ground_speed=1.612,
            temps=(19.52, 19.80, 19.93, 19.60, 14.38, 19.61, 17.86), created="2013-06-11T04:52:40",
            program_start="2013-06-11T04:52:33", day_flags=("Day", "Day", "Night", "Day"),
            spice="RGC_INF_TCv401IK_MIv200IK_SPv105IK_RISE100i_05_LongCK_D_V02_de421_110706.mk",
            calib=("04740_07536", "04740_07536"), date_dir="20090415",
            image=dict(base=60, gx=14, gy=3, crater=(16, 22, 6, 2, 160), shadow_cols=14,
                       invalid=[(0, 31, -20000), (1, 31, -20000), (2, 31, -20000)], shadow_max=0)),
]


def darts(key: str, value, indent: int = 0) -> str:
    """One DARTS detached-label line: the ``=`` in column 38."""
    return (" " * indent + key).ljust(37) + "= " + str(value)


def tc_product(s: TCScene) -> dict:
    start = parse_time(s.start)
    stop = shift(start, 30.2575)
    cstart, cstop = shift(start, -0.003326), shift(stop, -0.003326)
    half_lon = s.half[1] / max(math.cos(math.radians(s.clat)), 0.05)
    c = scene_corners(s.clat, s.clon, s.half[0], half_lon, s.moving_south)
    product_id = f"TC1S2B0_01_{kaguya_scene_code(s.rev, c['CENTER'])}"
    img_name, lbl_name = product_id + ".img", product_id + ".lbl"

    im = s.image
    dn = terrain(s.lines, s.samples, im["base"], im["gx"], im["gy"], im["crater"], im.get("shadow_cols", 0))
    dn = place(dn, im["invalid"])
    data = dn.astype(">i2").tobytes()
    st = dn_stats(dn, im["shadow_max"])

    sclk0, sclk1 = kaguya_sclk(start), kaguya_sclk(stop)
    exp_ms = TC_EXPOSURE_MS[s.exposure]
    exp_code = s.exposure[0]
    inc, emi, pha, azi = s.angles
    t = s.temps
    lines = [
        darts("PDS_VERSION_ID", '"PDS3"'),
        "",
        "/*** FILE FORMAT ***/",
        darts("RECORD_TYPE", '"UNDEFINED"'),
        darts("FILE_NAME", f'"{img_name}"'),
        "",
        "/*** POINTERS TO START BYTE OFFSET OF OBJECTS IN FILE ***/",
        darts("^IMAGE", f'("{img_name}", 1 <BYTES>)'),
        "",
        "/*** BASIC INFORMATION ***/",
        darts("MISSION_NAME", '"SELENE"'),
        darts("DATA_SET_ID", f'"{TC_DATA_SET}"'),
        darts("DATA_SET_NAME", '"SELENE MOON TC 3 MONO LEVEL2B0 V1.0"'),
        darts("L2DB_ORIGINAL_ID", '"TC_s_Level2B0"'),
        darts("PRODUCT_ID", f'"{product_id}"'),
        darts("INSTRUMENT_TYPE", '"IMAGER"'),
        darts("INSTRUMENT_ID", '"TC1"'),
        darts("INSTRUMENT_NAME", '"TERRAIN CAMERA 1"'),
        darts("INSTRUMENT_HOST_NAME", '"SELENE MAIN ORBITER"'),
        darts("TARGET_TYPE", '"SATELLITE"'),
        darts("TARGET_NAME", '"MOON"'),
        darts("START_TIME", fmt_time(start)),
        darts("STOP_TIME", fmt_time(stop)),
        "",
        "/*** GENERAL DATA DESCRIPTION PARAMETERS ***/",
        darts("SOFTWARE_NAME", '"RGC_TC_s_Level2B0"'),
        darts("SOFTWARE_VERSION", '"1.0.0"'),
        darts("PROCESS_VERSION_ID", '"L2B"'),
        darts("PRODUCT_CREATION_TIME", s.created),
        darts("PROGRAM_START_TIME", s.program_start),
        darts("PRODUCER_ID", '"LISM"'),
        darts("PRODUCT_SET_ID", '"TC_s_Level2B0"'),
        darts("PRODUCT_VERSION_ID", '"01"'),
        darts("REGISTERED_PRODUCT", '"Y"'),
        darts("ILLUMINATION_CONDITION", f'"{s.illumination}"'),
        darts("LEVEL2A_FILE_NAME", f'"TC1S2A0_02T{exp_code}F{s.rev:05d}_{s.strip:03d}_{s.scene:04d}.img"'),
        darts("SPICE_METAKERNEL_FILE_NAME", f'"{s.spice}"'),
        "",
        "/*** SCENE RELATED PARAMETERS ***/",
        darts("MISSION_PHASE_NAME", f'"{s.phase}"'),
        darts("REVOLUTION_NUMBER", s.rev),
        darts("STRIP_SEQUENCE_NUMBER", s.strip),
        darts("SCENE_SEQUENCE_NUMBER", s.scene),
        darts("UPPER_LEFT_DAYTIME_FLAG", f'"{s.day_flags[0]}"'),
        darts("UPPER_RIGHT_DAYTIME_FLAG", f'"{s.day_flags[1]}"'),
        darts("LOWER_LEFT_DAYTIME_FLAG", f'"{s.day_flags[2]}"'),
        darts("LOWER_RIGHT_DAYTIME_FLAG", f'"{s.day_flags[3]}"'),
        darts("OBSERVATION_MODE_ID", '"NORMAL"'),
        darts("SENSOR_DESCRIPTION", '"Imagery type:Pushbroom. ImageryMode:Mono,Stereo. ExposureTimeMode:Long,'
                                    'Middle,Short. CompressionMode:NonComp,DCT. Q-table:32 patterns. H-table:4 '
                                    'patterns. SwathMode:F(Full),N(Nominal),H(Half). First pixel number:1(F),'
                                    '297(N),1172(H)."'),
        darts("SENSOR_DESCRIPTION2", '"Pixel size:7x7[micron^2](TC1/TC2). Wavelength range:430-850[nm](TC1/TC2). '
                                     'A/D rate:10[bit](TC1/TC2). Slant angle:+/-15[degree] (from nadir to +x of '
                                     'S/C)(TC1/TC2). Focal length:72.45/72.63[mm](TC1/TC2). F number:3.97/3.98'
                                     '(TC1/TC2)."'),
        darts("DETECTOR_STATUS", '("TC1:ON","TC2:OFF","MV:OFF","MN:OFF","SP:ON")'),
        darts("EXPOSURE_MODE_ID", f'"{s.exposure}"'),
        darts("LINE_EXPOSURE_DURATION", f"({exp_ms:.6f} <ms>)"),
        darts("SPACECRAFT_CLOCK_START_COUNT", f' "{sclk0:.4f} <s>"'),
        darts("SPACECRAFT_CLOCK_STOP_COUNT", f' "{sclk1:.4f} <s>"'),
        darts("CORRECTED_SC_CLOCK_START_COUNT", f" {sclk0 - 0.003326:.6f} <s>"),
        darts("CORRECTED_SC_CLOCK_STOP_COUNT", f" {sclk1 - 0.003326:.6f} <s>"),
        darts("CORRECTED_START_TIME", fmt_time(cstart)),
        darts("CORRECTED_STOP_TIME", fmt_time(cstop)),
        darts("LINE_SAMPLING_INTERVAL", f"{6.5:10.6f} <ms>"),
        darts("CORRECTED_SAMPLING_INTERVAL", f"({6.5:.6f} <ms>)"),
    ]
    for corner in ("UPPER_LEFT", "UPPER_RIGHT", "LOWER_LEFT", "LOWER_RIGHT"):
        lat, lon = c[corner]
        lines.append(darts(f"{corner}_LATITUDE", f"{lat:10.6f} <deg>"))
        lines.append(darts(f"{corner}_LONGITUDE", f"{lon:10.6f} <deg>"))
    lines += [
        darts("LOCATION_FLAG", '"D"'),
        darts("ROLL_CANT", '"NO"'),
        darts("SCENE_CENTER_LATITUDE", f"{c['CENTER'][0]:10.6f} <deg>"),
        darts("SCENE_CENTER_LONGITUDE", f"{c['CENTER'][1]:10.6f} <deg>"),
        darts("INCIDENCE_ANGLE", f"{inc:7.3f} <deg>"),
        darts("EMISSION_ANGLE", f"{emi:7.3f} <deg>"),
        darts("PHASE_ANGLE", f"{pha:7.3f} <deg>"),
        darts("SOLAR_AZIMUTH_ANGLE", f"{azi:7.3f} <deg>"),
        darts("FOCAL_PLANE_TEMPERATURE", f"({t[0]:.2f} <degC>)"),
        darts("TELESCOPE_TEMPERATURE", f"({t[1]:.2f} <degC>)"),
        darts("SATELLITE_MOVING_DIRECTION", "+1" if s.moving_south else "-1"),
        darts("FIRST_SAMPLED_LINE_POSITION", '"UPPERMOST"'),
        darts("FIRST_DETECTOR_ELEM_POSITION", '"LEFT"'),
        darts("A_AXIS_RADIUS", "1737.400 <km>"),
        darts("B_AXIS_RADIUS", "1737.400 <km>"),
        darts("C_AXIS_RADIUS", "1737.400 <km>"),
        darts("DEFECT_PIXEL_POSITION", '"N/A"'),
        "",
        "/*** CAMERA RELATED PARAMETERS ***/",
        darts("SWATH_MODE_ID", '"FULL"'),
        darts("FIRST_PIXEL_NUMBER", 1),
        darts("LAST_PIXEL_NUMBER", 3208),
        darts("SPACECRAFT_ALTITUDE", f"{s.altitude:8.3f} <km>"),
        darts("SPACECRAFT_GROUND_SPEED", f"{s.ground_speed:6.3f} <km/s>"),
        darts("TC1_TELESCOPE_TEMPERATURE", f"{t[2]:6.2f} <degC>"),
        darts("TC2_TELESCOPE_TEMPERATURE", f"{t[3]:6.2f} <degC>"),
        darts("DPU_TEMPERATURE", f"{t[4]:6.2f} <degC>"),
        darts("TM_TEMPERATURE", f"{t[5]:6.2f} <degC>"),
        darts("TM_RADIATOR_TEMPERATURE", f"{t[6]:6.2f} <degC>"),
        darts("Q_TABLE_ID", '"N/A"'),
        darts("HUFFMAN_TABLE_ID", '"N/A"'),
        darts("DATA_COMPRESSION_PERCENT_MEAN", "100.0"),
        darts("DATA_COMPRESSION_PERCENT_MAX", "100.0"),
        darts("DATA_COMPRESSION_PERCENT_MIN", "100.0"),
        "",
        "/*** DESCRIPTION OF OBJECTS CONTAINED IN THE FILE ***/",
        "",
        darts("OBJECT", "IMAGE"),
        darts("COMPRESSION_TYPE", '"N/A"', 4),
        darts("COMPRESSION_PERCENT", "100.0", 4),
        darts("NOMINAL_LINE_NUMBER", 4088, 4),
        darts("NOMINAL_OVERLAP_LINE_NUMBER", 568, 4),
        darts("OVERLAP_LINE_NUMBER", 568, 4),
        darts("LINES", s.lines, 4),
        darts("LINE_SAMPLES", s.samples, 4),
        darts("SAMPLE_TYPE", "MSB_INTEGER", 4),
        darts("SAMPLE_BITS", 16, 4),
        darts("IMAGE_VALUE_TYPE", '"RADIANCE"', 4),
        darts("UNIT", '"W/m**2/micron/sr"', 4),
        darts("SCALING_FACTOR", "1.30000e-02", 4),
        darts("OFFSET", "0.00000e+00", 4),
        darts("MIN_FOR_STATISTICAL_EVALUATION", 0, 4),
        darts("MAX_FOR_STATISTICAL_EVALUATION", 32767, 4),
        darts("SCENE_MAXIMUM_DN", st["max"], 4),
        darts("SCENE_MINIMUM_DN", st["min"], 4),
        darts("SCENE_AVERAGE_DN", st["mean"], 4),
        darts("SCENE_STDEV_DN", st["std"], 4),
        darts("SCENE_MODE_DN", st["mode"], 4),
        darts("SHADOWED_AREA_MINIMUM", 0, 4),
        darts("SHADOWED_AREA_MAXIMUM", im["shadow_max"], 4),
        darts("SHADOWED_AREA_PERCENTAGE", st["shadow_pct"], 4),
        darts("INVALID_TYPE", seq(INVALID_TYPES, " , ", quote=True), 4),
        darts("INVALID_VALUE", seq(INVALID_CODES, " , "), 4),
        darts("INVALID_PIXELS", seq(st["invalid"], " , "), 4),
        darts("END_OBJECT", "IMAGE"),
        "",
        darts("OBJECT", "PROCESSING_PARAMETERS"),
        darts("DARK_FILE_NAME", f'"TC1_DRK_{s.calib[0]}_{exp_code}_N_b05.csv"', 4),
        darts("FLAT_FILE_NAME", f'"TC1_FLT_{s.calib[1]}_N_N_b05.csv"', 4),
        darts("EFFIC_FILE_NAME", '"TC1_EFF_PRFLT_N_N_v01.csv"', 4),
        darts("NONLIN_FILE_NAME", '"TC1_NLT_PRFLT_N_N_v01.csv"', 4),
        darts("RAD_CNV_COEF", "(3.790009 <W/m**2/micron/sr>)", 4),
        darts("L2A_DEAD_PIXEL_THRESHOLD", 30, 4),
        darts("L2A_SATURATION_THRESHOLD", 1023, 4),
        darts("DARK_VALID_MINIMUM", -5, 4),
        darts("RADIANCE_SATURATION_THRESHOLD", "425.971000 <W/m**2/micron/sr>", 4),
        darts("END_OBJECT", "PROCESSING_PARAMETERS"),
        "END",
    ]
    path = f"DATA/TC/2B0/{s.date_dir}/"
    return {
        "files": {path + lbl_name: crlf(lines), path + img_name: data},
        "index": dict(path=path, file=lbl_name, product_id=product_id, data_set_id=TC_DATA_SET,
                      instrument="TC1", start=fmt_time(start), stop=fmt_time(stop), created=s.created),
        "summary": dict(product_id=product_id, corners=c),
    }

MI_SENSOR_DESCRIPTION = ('"MI is a multiband push-broom imaging camera consisting of VIS(V) and NIR(N) sensors '
                         '(each has nadir-directed optics of f number 65 mm and F ratio 3.7). Detector pixel '
                         'sizes in micron are 13(V) and 40(N)."')
MI_SENSOR_DESCRIPTION2 = ('"Physical band arrangement [from satellite -x to +x] are VIS1>VIS2>VIS5>VIS4>VIS3 and '
                          'NIR3>NIR4>NIR1>NIR2. Parallax between nearest band sets [degree] are 2.7 for VIS and '
                          '2.6 for NIR. Sampling time [msec] are 13 for VIS and 39 for NIR."')
MV_FILTERS = ("MV1", "MV2", "MV3", "MV4", "MV5")
MV_WAVELENGTHS = (414.0, 749.0, 901.0, 950.0, 1001.0)
MV_BANDWIDTHS = (20.0, 12.0, 21.0, 30.0, 42.0)
MV_RAD_CNV = (1.470593, 2.204781, 2.244315, 2.734361, 1.885889)


@dataclass
class MVScene:
    rev: int
    start: str
    clat: float
    clon: float
    moving_south: bool
    strip: int
    scene: int
    exposure: str
    angles: tuple[float, float, float, float]
    altitude: float
    ground_speed: float
    temps: tuple[float, float]
    created: str
    program_start: str
    software_version: str
    spice: str
    calib: str
    date_dir: str
    image: dict
    lines: int = 24
    samples: int = 32


MV_EXPOSURE_MS = {"LONG": 5.3246, "MIDDLE": 2.6623, "SHORT": 1.3297}

MV_SCENES = [
    MVScene(rev=1842, start="2008-03-08T17:52:31.604512", clat=40.23, clon=331.77, moving_south=False,
            strip=3, scene=21, exposure="MIDDLE", angles=(58.804, 0.512, 58.633, 121.442), altitude=118.624,
            ground_speed=1.516, temps=(21.12, 18.06), created="2009-11-09T05:47:13",
            program_start="2009-11-09T01:12:40", software_version="2.6.0",
            spice="RGC_INF_TCv301IK_MIv104IK_SPv104IK_RISE100g_de421_091007.mk", calib="01226_01571_M",
            date_dir="20080308",
            image=dict(base=3050, gx=21, gy=-9, crater=(9, 20, 5, 18, 420), band_factors=(560, 1000, 790, 740, 690),
                       oob_lines=(3, 2, 2, 1, 0), invalid=[])),
    MVScene(rev=4457, start="2008-10-08T04:18:55.027114", clat=-43.31, clon=348.84, moving_south=True,
            strip=2, scene=48, exposure="SHORT", angles=(35.127, 0.388, 35.210, 64.975), altitude=112.903,
            ground_speed=1.521, temps=(21.47, 18.52), created="2009-12-15T09:03:27",
            program_start="2009-12-15T04:41:02", software_version="2.6.1",
            spice="RGC_INF_TCv301IK_MIv104IK_SPv104IK_RISE100g_de421_091007.mk", calib="04363_04701_S",
            date_dir="20081008",
            image=dict(base=4200, gx=-16, gy=25, crater=(13, 11, 7, 22, 900), band_factors=(540, 1000, 810, 760, 700),
                       oob_lines=(0, 1, 2, 2, 3), invalid=[(1, 6, 27, -20000), (1, 7, 27, -20000)])),
]


def mv_product(s: MVScene) -> dict:
    start = parse_time(s.start)
    stop = shift(start, 12.468)
    cstart, cstop = shift(start, -0.00769), shift(stop, -0.008715)
    half_lon = 0.29 / math.cos(math.radians(s.clat))
    c = scene_corners(s.clat, s.clon, 0.32, half_lon, s.moving_south)
    product_id = f"MVA_2B2_01_{kaguya_scene_code(s.rev, c['CENTER'])}"
    img_name = product_id + ".img"

    im = s.image
    base = terrain(s.lines, s.samples, im["base"], im["gx"], im["gy"], im["crater"])
    cube = np.stack([(base * f) // 1000 for f in im["band_factors"]])
    for b, k in enumerate(im["oob_lines"]):
        cube[b, :k, :] = OUT_OF_BOUNDS
    cube = place(cube, im["invalid"])
    data = cube.astype(">i2").tobytes()
    stats = [dn_stats(cube[b], 327) for b in range(cube.shape[0])]

    sclk0, sclk1 = kaguya_sclk(start), kaguya_sclk(stop)
    inc, emi, pha, azi = s.angles

    def label(pointers):
        top = [
            ("PDS_VERSION_ID", "PDS3"), ("RECORD_TYPE", "UNDEFINED"), ("FILE_NAME", img_name),
            ("PRODUCT_ID", product_id), ("DATA_FORMAT", "PDS"), ("^IMAGE", f"{pointers[0]} <BYTES>"),
            ("SOFTWARE_NAME", "RGC_TC_MI"), ("SOFTWARE_VERSION", s.software_version),
            ("PROCESS_VERSION_ID", "L2B"), ("PRODUCT_CREATION_TIME", s.created),
            ("PROGRAM_START_TIME", s.program_start), ("PRODUCER_ID", "LISM"),
            ("PRODUCT_SET_ID", "MI-VIS_Level2B2"), ("PRODUCT_VERSION_ID", '"01"'), ("REGISTERED_PRODUCT", "Y"),
            ("LEVEL2A_FILE_NAME", f"MV52A0_02N{s.exposure[0]}{s.rev:05d}_{s.strip:03d}_{s.scene:04d}.img"),
            ("SPICE_METAKERNEL_FILE_NAME", s.spice), ("MISSION_NAME", "SELENE"), ("SPACECRAFT_NAME", "SELENE-M"),
            ("DATA_SET_ID", "MI-VIS_Level2B"), ("INSTRUMENT_NAME", '"Multiband Imager Visible"'),
            ("INSTRUMENT_ID", "MI-VIS"), ("MISSION_PHASE_NAME", "Nominal"), ("REVOLUTION_NUMBER", s.rev),
            ("STRIP_SEQUENCE_NUMBER", s.strip), ("SCENE_SEQUENCE_NUMBER", s.scene),
            ("UPPER_LEFT_DAYTIME_FLAG", "Day"), ("UPPER_RIGHT_DAYTIME_FLAG", "Day"),
            ("LOWER_LEFT_DAYTIME_FLAG", "Day"), ("LOWER_RIGHT_DAYTIME_FLAG", "Day"), ("TARGET_NAME", "MOON"),
            ("OBSERVATION_MODE_ID", "NORMAL"), ("SENSOR_DESCRIPTION", MI_SENSOR_DESCRIPTION),
            ("SENSOR_DESCRIPTION2", MI_SENSOR_DESCRIPTION2),
            ("DETECTOR_STATUS", "{MN:ON, TC2:OFF, MV:ON, TC1:OFF, SP:ON}"),
            ("EXPOSURE_MODE_ID", s.exposure), ("LINE_EXPOSURE_DURATION", f"{MV_EXPOSURE_MS[s.exposure]} <msec>"),
            ("SPACECRAFT_CLOCK_START_COUNT", f"{sclk0:.3f} <sec>"),
            ("SPACECRAFT_CLOCK_STOP_COUNT", f"{sclk1:.3f} <sec>"),
            ("CORRECTED_SC_CLOCK_START_COUNT", f"{sclk0 - 0.00769:.5f} <sec>"),
            ("CORRECTED_SC_CLOCK_STOP_COUNT", f"{sclk1 - 0.008715:.6f} <sec>"),
            ("START_TIME", fmt_time(start)), ("STOP_TIME", fmt_time(stop)),
            ("CORRECTED_START_TIME", fmt_time(cstart)), ("CORRECTED_STOP_TIME", fmt_time(cstop)),
            ("LINE_SAMPLING_INTERVAL", "13.0 <msec>"), ("CORRECTED_SAMPLING_INTERVAL", "12.999974 <msec>"),
        ]
        for corner in ("UPPER_LEFT", "UPPER_RIGHT", "LOWER_LEFT", "LOWER_RIGHT"):
            top += [(f"{corner}_LATITUDE", f"{c[corner][0]} <deg>"), (f"{corner}_LONGITUDE", f"{c[corner][1]} <deg>")]
        top += [
            ("LOCATION_FLAG", "A"), ("ROLL_CANT", "NO"),
            ("SCENE_CENTER_LATITUDE", f"{c['CENTER'][0]} <deg>"), ("SCENE_CENTER_LONGITUDE", f"{c['CENTER'][1]} <deg>"),
            ("INCIDENCE_ANGLE", f"{inc} <deg>"), ("EMISSION_ANGLE", f"{emi} <deg>"), ("PHASE_ANGLE", f"{pha} <deg>"),
            ("SOLAR_AZIMUTH_ANGLE", f"{azi} <deg>"), ("FOCAL_PLANE_TEMPERATURE", f"{s.temps[0]} <degC>"),
            ("TELESCOPE_TEMPERATURE", f"{s.temps[1]} <degC>"),
            ("SATELLITE_MOVING_DIRECTION", '"+1"' if s.moving_south else '"-1"'),
            ("FIRST_SAMPLED_LINE_POSITION", "UPPERMOST"), ("FIRST_DETECTOR_ELEMENT_POSITION", "LEFT"),
            ("A_AXIS_RADIUS", "1737.4 <km>"), ("B_AXIS_RADIUS", "1737.4 <km>"), ("C_AXIS_RADIUS", "1737.4 <km>"),
            ("DEFECT_PIXEL_POSITION", "(N/A, N/A, N/A, N/A, N/A)"), ("FILTER_NAME", seq(MV_FILTERS)),
            ("CENTER_FILTER_WAVELENGTH", seq(MV_WAVELENGTHS) + " <nm>"), ("BANDWIDTH", seq(MV_BANDWIDTHS) + " <nm>"),
            ("BASE_BAND", "MV5"), ("SPACECRAFT_ALTITUDE", f"{s.altitude} <km>"),
            ("SPACECRAFT_GROUND_SPEED", f"{s.ground_speed} <km/sec>"),
        ]
        image = [
            ("NOMINAL_LINE_NUMBER", 864), ("NOMINAL_OVERLAP_LINE_NUMBER", 96), ("OVERLAP_LINE_NUMBER", 96),
            ("BANDS", cube.shape[0]), ("BAND_STORAGE_TYPE", '"BAND SEQUENTIAL"'), ("LINES", s.lines),
            ("LINE_SAMPLES", s.samples), ("SAMPLE_TYPE", "MSB_INTEGER"), ("SAMPLE_BITS", 16),
            ("IMAGE_VALUE_TYPE", "RADIANCE"), ("UNIT", "W/m**2/micron/sr"), ("SCALING_FACTOR", 0.013),
            ("OFFSET", 0.0), ("MIN_FOR_STATISTICAL_EVALUATION", seq([0] * 5)),
            ("MAX_FOR_STATISTICAL_EVALUATION", seq([32767] * 5)),
            ("SCENE_MAXIMUM_DN", seq(x["max"] for x in stats)), ("SCENE_MINIMUM_DN", seq(x["min"] for x in stats)),
            ("SCENE_AVERAGE_DN", seq(x["mean"] for x in stats)), ("SCENE_STDEV_DN", seq(x["std"] for x in stats)),
            ("SCENE_MODE_DN", seq(x["mode"] for x in stats)), ("SHADOWED_AREA_MINIMUM", seq([0] * 5)),
            ("SHADOWED_AREA_MAXIMUM", seq([327] * 5)),
            ("SHADOWED_AREA_PERCENTAGE", seq(x["shadow_pct"] for x in stats)),
            ("INVALID_TYPE", seq(INVALID_TYPES)), ("INVALID_VALUE", seq(INVALID_CODES)),
            ("INVALID_PIXELS", seq(seq(x["invalid"]) for x in stats)),
            ("OUT_OF_IMAGE_BOUNDS_VALUE", OUT_OF_BOUNDS),
            ("OUT_OF_IMAGE_BOUNDS_PIXELS", seq(x["oob"] for x in stats)),
        ]
        dark = f"MIV_DRK_{s.calib}___002.csv"
        processing = [
            ("DARK_FILE_NAME", dark), ("FT_FILE_NAME", "MIV_FTF_PRFLT_N___v01.csv"),
            ("FLAT_FILE_NAME", f"MIV_FLT_{s.calib[:-2]}_N___002.csv"), ("EFFIC_FILE_NAME", "MIV_EFF_PRFLT_N___v01.csv"),
            ("NONLIN_FILE_NAME", "MIV_NLT_PRFLT_N___v01.csv"),
            ("RAD_CNV_COEF", seq(MV_RAD_CNV) + " <W/m**2/micron/sr>"), ("RESAMPLING_METHOD", "Bi-Linear"),
            ("L2A_DEAD_PIXEL_THRESHOLD", seq([35] * 5)), ("L2A_SATURATION_THRESHOLD", seq([1023] * 5)),
            ("DARK_VALID_MINIMUM", seq([-3] * 5)), ("FT_VALID_MINIMUM", -2),
            ("RADIANCE_SATURATION_THRESHOLD", "425.971 <W/m**2/micron/sr>"),
        ]
        return lf(isis_block(top + [("Object", "IMAGE", image), ("Object", "PROCESSING_PARAMETERS", processing)])
                  + ["END"])

    content, _ = attached(label, [data])
    path = f"DATA/MI_VIS/2B2/{s.date_dir}/"
    return {
        "files": {path + img_name: content},
        "index": dict(path=path, file=img_name, product_id=product_id, data_set_id="MI-VIS_Level2B",
                      instrument="MI-VIS", start=fmt_time(start), stop=fmt_time(stop), created=s.created),
        "summary": dict(product_id=product_id, corners=c),
    }


# ================================================================================== PDS3: Kaguya MI_MAP
MAP_FILTERS = ("MV1", "MV2", "MV3", "MV4", "MV5", "MN1", "MN2", "MN3", "MN4")
MAP_WAVELENGTHS = (414.0, 749.0, 901.0, 950.0, 1001.0, 1000.0, 1049.0, 1248.0, 1548.0)
MAP_BANDWIDTHS = (20.0, 12.0, 21.0, 30.0, 42.0, 27.0, 28.0, 33.0, 48.0)
MAP_RAD_CNV = (1.470593, 2.204781, 2.244315, 2.734361, 1.885889, 3.04924, 3.312096, 4.788256, 7.969085)
MAP_REF_CNV = (0.002353311, 0.002450451, 0.003549924, 0.003886012, 0.004316842, 0.004316842, 0.004893535,
               0.007400877, 0.01218292)
MAP_REFLECTANCE = (3050, 5540, 5960, 6080, 6450, 6400, 6740, 8050, 9480)


def mimap_product() -> dict:
    north, west, res, n = -15, 34, 32, 32          # tile S15E034S16E035 at 32 pixel/deg (a reduced tile)
    product_id = "MI_MAP_02_S15E034S16E035SC"
    last = (n - 1) / res                           # the last pixel's offset from the tile edge, deg
    img_name = product_id + ".img"
    created = "2011-11-02T13:17:45"
    y, x = np.mgrid[0:n, 0:n].astype(np.int64)
    variation = 900 + ((x * 5 + y * 3) % 23) * 8 + np.where((x - 21) ** 2 + (y - 10) ** 2 < 30, 140, 0)
    cube = np.stack([(variation * f) // 1000 for f in MAP_REFLECTANCE])
    invalid = [(5, 0, 0, -21000), (6, 0, 1, -21000), (8, 31, 31, -20000)]
    cube = place(cube, invalid)
    image_bytes = cube.astype(">i2").tobytes()
    stats = [dn_stats(cube[b], 327) for b in range(cube.shape[0])]
    altitude = (-2.875 + x * 0.0125 - y * 0.00625
                - np.where((x - 21) ** 2 + (y - 10) ** 2 < 30, 0.25, 0.0)).astype(">f4")
    alt_bytes = altitude.tobytes()
    l2a = ["MV52A0_02NM02517_004_0061.img", "MV52A0_02NM02518_004_0061.img", "MV52A0_02NM02517_004_0062.img",
           "{MV22A0_02NL01384_002_0063.img, MV22A0_02NL01384_002_0064.img}"]
    spice = ["RGC_INF_TCv401IK_MIv200IK_SPv105IK_RISE100i_05_LongCK_D_V02_de421_110706.mk"] * 3 + \
            ["RGC_INF_TCv401IK_MIv200IK_SPv105IK_RISE100i_04_LongCK_D_de421_101125.mk"]
    darks = ["{MIV_DRK_02269_02609_M___002.csv, MIN_DRK_02269_02609_M___002.csv}"] * 3 + \
            ["{MIN_DRK_01226_01571_L___002.csv, MIV_DRK_01226_01571_L___002.csv}"]
    flats = ["{MIV_FLT_02269_02609_N___002.csv, MIN_FLT_02269_02609_N___002.csv}"] * 3 + \
            ["{MIV_FLT_01226_01571_L___002.csv, MIN_FLT_01226_01571_L___002.csv}"]

    def label(pointers):
        top = [
            ("PDS_VERSION_ID", "PDS3"), ("RECORD_TYPE", "UNDEFINED"), ("FILE_NAME", img_name),
            ("PRODUCT_ID", product_id), ("DATA_FORMAT", "PDS"),
            ("^GEOMETRIC_DATA_ALTITUDE", f"{pointers[1]} <BYTES>"), ("^IMAGE", f"{pointers[0]} <BYTES>"),
            ("SOFTWARE_NAME", "RGC_TC_MI"), ("SOFTWARE_VERSION", "2.10.1"), ("PROCESS_VERSION_ID", "MAP"),
            ("PRODUCT_CREATION_TIME", created), ("PROGRAM_START_TIME", "2011-11-02T13:11:58"),
            ("PRODUCER_ID", "LISM"), ("PRODUCT_SET_ID", "MI_MAP"), ("PRODUCT_VERSION_ID", '"02"'),
            ("REGISTERED_PRODUCT", "Y"), ("LEVEL2A_FILE_NAME", seq(l2a)),
            ("SPICE_METAKERNEL_FILE_NAME", seq(spice)), ("MISSION_NAME", "SELENE"), ("SPACECRAFT_NAME", "SELENE-M"),
            ("DATA_SET_ID", "MI_MAP"), ("INSTRUMENT_NAME", '"Multiband Imager"'), ("INSTRUMENT_ID", "MI"),
            ("TARGET_NAME", "MOON"), ("OBSERVATION_MODE_ID", "NORMAL"),
            ("SENSOR_DESCRIPTION", MI_SENSOR_DESCRIPTION), ("SENSOR_DESCRIPTION2", MI_SENSOR_DESCRIPTION2),
            ("FILTER_NAME", seq(MAP_FILTERS)), ("CENTER_FILTER_WAVELENGTH", seq(MAP_WAVELENGTHS) + " <nm>"),
            ("BANDWIDTH", seq(MAP_BANDWIDTHS) + " <nm>"), ("BASE_BAND", "MV5"),
        ]
        geometry = [("BINNING_START_PIXEL_POSITION", "(1, 1)"), ("BINNING_INTERVAL", 1), ("LINES", n),
                    ("LINE_SAMPLES", n), ("SAMPLE_TYPE", "IEEE_REAL"), ("SAMPLE_BITS", 32), ("UNIT", "km")]
        image = [
            ("BANDS", 9), ("BAND_STORAGE_TYPE", '"BAND SEQUENTIAL"'), ("LINES", n), ("LINE_SAMPLES", n),
            ("SAMPLE_TYPE", "MSB_INTEGER"), ("SAMPLE_BITS", 16), ("IMAGE_VALUE_TYPE", "REFLECTANCE"), ("UNIT", "ND"),
            ("SCALING_FACTOR", "2e-05"), ("OFFSET", 0.0), ("MIN_FOR_STATISTICAL_EVALUATION", seq([0] * 9)),
            ("MAX_FOR_STATISTICAL_EVALUATION", seq([32767] * 9)),
            ("SCENE_MAXIMUM_DN", seq(x["max"] for x in stats)), ("SCENE_MINIMUM_DN", seq(x["min"] for x in stats)),
            ("SCENE_AVERAGE_DN", seq(x["mean"] for x in stats)), ("SCENE_STDEV_DN", seq(x["std"] for x in stats)),
            ("SCENE_MODE_DN", seq(x["mode"] for x in stats)), ("SHADOWED_AREA_MINIMUM", seq([0] * 9)),
            ("SHADOWED_AREA_MAXIMUM", seq([327] * 9)),
            ("SHADOWED_AREA_PERCENTAGE", seq(x["shadow_pct"] for x in stats)),
            ("INVALID_TYPE", seq(INVALID_TYPES)), ("INVALID_VALUE", seq(INVALID_CODES)),
            ("INVALID_PIXELS", seq(seq(x["invalid"]) for x in stats)), ("OUT_OF_IMAGE_BOUNDS_VALUE", OUT_OF_BOUNDS),
            ("OUT_OF_IMAGE_BOUNDS_PIXELS", seq(x["oob"] for x in stats)), ("STRETCHED_FLAG", "FALSE"),
        ]
        projection = [
            ("MAP_PROJECTION_TYPE", '"Simple Cylindrical"'), ("COORDINATE_SYSTEM_TYPE", '"BODY-FIXED ROTATING"'),
            ("COORDINATE_SYSTEM_NAME", "PLANETOCENTRIC"), ("A_AXIS_RADIUS", "1737.4 <km>"),
            ("B_AXIS_RADIUS", "1737.4 <km>"), ("C_AXIS_RADIUS", "1737.4 <km>"), ("FIRST_STANDARD_PARALLEL", "N/A"),
            ("SECOND_STANDARD_PARALLEL", "N/A"), ("POSITIVE_LONGITUDE_DIRECTION", "EAST"),
            ("CENTER_LATITUDE", "0.0 <deg>"), ("CENTER_LONGITUDE", "0.0 <deg>"), ("REFERENCE_LATITUDE", "N/A"),
            ("REFERENCE_LONGITUDE", "N/A"), ("LINE_FIRST_PIXEL", 1), ("LINE_LAST_PIXEL", n),
            ("SAMPLE_FIRST_PIXEL", 1), ("SAMPLE_LAST_PIXEL", n), ("MAP_PROJECTION_ROTATION", "0.0 <deg>"),
            ("MAP_RESOLUTION", f"{float(res)} <pixel/deg>"),
            ("MAP_SCALE", f"{round(math.pi * 1737.4 / 180 / res, 8)} <km/pixel>"),
            ("MAXIMUM_LATITUDE", f"{float(north)} <deg>"), ("MINIMUM_LATITUDE", f"{north - last} <deg>"),
            ("EASTERNMOST_LONGITUDE", f"{west + last} <deg>"), ("WESTERNMOST_LONGITUDE", f"{float(west)} <deg>"),
            ("LINE_PROJECTION_OFFSET", f"{float(north * res)} <pixel>"),
            ("SAMPLE_PROJECTION_OFFSET", f"{float(west * res)} <pixel>"),
        ]
        processing = [
            ("DARK_FILE_NAME", seq(darks)),
            ("FT_FILE_NAME", seq(["MIV_FTF_PRFLT_N___v01.csv"] * 4)),
            ("FLAT_FILE_NAME", seq(flats)),
            ("EFFIC_FILE_NAME", seq(["{MIN_EFF_PRFLT_N___v01.csv, MIV_EFF_PRFLT_N___v01.csv}"] * 4)),
            ("NONLIN_FILE_NAME", seq(["{MIV_NLT_PRFLT_N___v01.csv, MIN_NLT_PRFLT_N___v01.csv}"] * 4)),
            ("RAD_CNV_COEF", seq([seq(MAP_RAD_CNV)] * 4) + " <W/m**2/micron/sr>"),
            ("REF_CNV_COEF", seq(MAP_REF_CNV) + " <1/(W/m**2/micron/sr)>"),
            ("STANDARD_GEOMETRY", "(30.0, 0.0, 30.0)"), ("PHOTO_CORR_ID", '"LISM ORIGINAL"'),
            ("RESAMPLING_METHOD", "Bi-Linear"), ("TCO_MOSAIC_FILE_NAME", seq(["N/A"] * 4)),
            ("DTM_MOSAIC_FILE_NAME", seq(["N/A"] * 4)),
            ("OVERLAP_SELECTION_ID", '"Prioritized order : nominal mission period and phase angle closer to the '
                                     'standard geometry"'),
            ("MATCHING_MOSAIC", "N/A"), ("L2A_DEAD_PIXEL_THRESHOLD", seq([35] * 5 + [200] * 4)),
            ("L2A_SATURATION_THRESHOLD", seq([1023] * 5 + [4095] * 4)),
            ("DARK_VALID_MINIMUM", seq([-3] * 5 + [-10] * 4)), ("FT_VALID_MINIMUM", -2),
            ("RADIANCE_SATURATION_THRESHOLD", "425.971 <W/m**2/micron/sr>"),
            ("REF_SATURATION_THRESHOLD", "0.65534 <ND>"),
        ]
        return lf(isis_block(top + [("Object", "GEOMETRIC_DATA_ALTITUDE", geometry), ("Object", "IMAGE", image),
                                    ("Object", "IMAGE_MAP_PROJECTION", projection),
                                    ("Object", "PROCESSING_PARAMETERS", processing)]) + ["END"])

    content, _ = attached(label, [image_bytes, alt_bytes])
    path = "DATA/MI_MAP/LON034/"
    return {
        "files": {path + img_name: content},
        "index": dict(path=path, file=img_name, product_id=product_id, data_set_id="MI_MAP", instrument="MI",
                      start="N/A", stop="N/A", created=created),
        "summary": dict(product_id=product_id, bbox=(west, north - last, west + last, north)),
    }
