"""The PDS4 bundle ``urn:nasa:pds:archive_fed_sample``: collection labels and inventories, the bundle
label, and :func:`build_pds4`, which assembles the Chang'e-4, LROC and ShadowCam collections."""
from __future__ import annotations

from dataclasses import dataclass, field


from .change4 import CE4_PRODUCTS, ce4_data, ce4_label, ce4_name
from .common import BUNDLE_LID, lf, md5
from .lroc_pds4 import LROC_PDS4, lroc_pds4_product
from .pds4_xml import IM_VERSION, SCHEMA_PDS, internal_reference, xml_escape
from .shadowcam import SHADOWCAM, shadowcam_product


# ================================================================================ PDS4: collections, bundle
@dataclass
class CollectionInfo:
    name: str
    title: str
    description: str
    level: str
    investigation: tuple[str, str | None]              # name, lid
    observing: list[tuple[str, str, str | None]]       # name, type, lid
    targets: list[tuple[str, str, str | None]]         # name, type, lid
    members: list[str] = field(default_factory=list)
    times: list[tuple[str, str]] = field(default_factory=list)


def collection_files(c: CollectionInfo) -> dict:
    inventory = ("".join(f"P,{m}\r\n" for m in c.members)).encode("ascii")
    inv_name = f"collection_{c.name}_inventory.csv"
    start = min(t[0] for t in c.times)
    stop = max(t[1] for t in c.times)

    def ref(indent, lid, rtype):
        return internal_reference(indent, lid, rtype) if lid else []

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml-model href="https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1K00.sch"',
        '  schematypens="http://purl.oclc.org/dsdl/schematron"?>',
        "",
        '<Product_Collection xmlns="http://pds.nasa.gov/pds4/pds/v1"',
        '  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
        f'  xsi:schemaLocation="http://pds.nasa.gov/pds4/pds/v1 {SCHEMA_PDS}">',
        "  <Identification_Area>",
        f"    <logical_identifier>{BUNDLE_LID}:{c.name}</logical_identifier>",
        "    <version_id>1.0</version_id>",
        f"    <title>{xml_escape(c.title)}</title>",
        f"    <information_model_version>{IM_VERSION}</information_model_version>",
        "    <product_class>Product_Collection</product_class>",
        "    <Citation_Information>",
        "      <author_list>archive_fed developers</author_list>",
        "      <publication_year>2025</publication_year>",
        f"      <description>{xml_escape(c.description)}</description>",
        "    </Citation_Information>",
        "    <Modification_History>",
        "      <Modification_Detail>",
        "        <modification_date>2025-01-15</modification_date>",
        "        <version_id>1.0</version_id>",
        "        <description>First release</description>",
        "      </Modification_Detail>",
        "    </Modification_History>",
        "  </Identification_Area>",
        "  <Context_Area>",
        "    <Time_Coordinates>",
        f"      <start_date_time>{start}</start_date_time>",
        f"      <stop_date_time>{stop}</stop_date_time>",
        "    </Time_Coordinates>",
        "    <Primary_Result_Summary>",
        "      <purpose>Science</purpose>",
        f"      <processing_level>{c.level}</processing_level>",
        "    </Primary_Result_Summary>",
        "    <Investigation_Area>",
        f"      <name>{xml_escape(c.investigation[0])}</name>",
        "      <type>Mission</type>",
        *ref("      ", c.investigation[1], "collection_to_investigation"),
        "    </Investigation_Area>",
        "    <Observing_System>",
    ]
    for name, otype, lid in c.observing:
        lines += ["      <Observing_System_Component>", f"        <name>{xml_escape(name)}</name>",
                  f"        <type>{otype}</type>",
                  *ref("        ", lid, "is_instrument_host" if otype in ("Host", "Spacecraft") else "is_instrument"),
                  "      </Observing_System_Component>"]
    lines.append("    </Observing_System>")
    for name, ttype, lid in c.targets:
        lines += ["    <Target_Identification>", f"      <name>{name}</name>", f"      <type>{ttype}</type>",
                  *ref("      ", lid, "collection_to_target"), "    </Target_Identification>"]
    lines += [
        "  </Context_Area>",
        "  <Collection>",
        "    <collection_type>Data</collection_type>",
        "  </Collection>",
        "  <File_Area_Inventory>",
        "    <File>",
        f"      <file_name>{inv_name}</file_name>",
        f"      <local_identifier>{c.name}_inventory</local_identifier>",
        "      <creation_date_time>2025-01-15T00:00:00Z</creation_date_time>",
        f'      <file_size unit="byte">{len(inventory)}</file_size>',
        f"      <records>{len(c.members)}</records>",
        f"      <md5_checksum>{md5(inventory)}</md5_checksum>",
        "    </File>",
        "    <Inventory>",
        '      <offset unit="byte">0</offset>',
        "      <parsing_standard_id>PDS DSV 1</parsing_standard_id>",
        f"      <records>{len(c.members)}</records>",
        "      <record_delimiter>Carriage-Return Line-Feed</record_delimiter>",
        "      <field_delimiter>Comma</field_delimiter>",
        "      <Record_Delimited>",
        "        <fields>2</fields>",
        "        <groups>0</groups>",
        "        <Field_Delimited>",
        "          <name>Member Status</name>",
        "          <field_number>1</field_number>",
        "          <data_type>ASCII_String</data_type>",
        '          <maximum_field_length unit="byte">1</maximum_field_length>',
        "        </Field_Delimited>",
        "        <Field_Delimited>",
        "          <name>LIDVID_LID</name>",
        "          <field_number>2</field_number>",
        "          <data_type>ASCII_LIDVID_LID</data_type>",
        '          <maximum_field_length unit="byte">255</maximum_field_length>',
        "        </Field_Delimited>",
        "      </Record_Delimited>",
        "      <reference_type>inventory_has_member_product</reference_type>",
        "    </Inventory>",
        "  </File_Area_Inventory>",
        "</Product_Collection>",
    ]
    return {f"{c.name}/collection_{c.name}.xml": lf(lines), f"{c.name}/{inv_name}": inventory}


def bundle_label(collections: list[CollectionInfo]) -> bytes:
    start = min(t[0] for c in collections for t in c.times)
    stop = max(t[1] for c in collections for t in c.times)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml-model href="https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1K00.sch"',
        '  schematypens="http://purl.oclc.org/dsdl/schematron"?>',
        "",
        '<Product_Bundle xmlns="http://pds.nasa.gov/pds4/pds/v1"',
        '    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
        f'    xsi:schemaLocation="http://pds.nasa.gov/pds4/pds/v1 {SCHEMA_PDS}">',
        "    <Identification_Area>",
        f"        <logical_identifier>{BUNDLE_LID}</logical_identifier>",
        "        <version_id>1.0</version_id>",
        "        <title>Lunar federation sample bundle</title>",
        f"        <information_model_version>{IM_VERSION}</information_model_version>",
        "        <product_class>Product_Bundle</product_class>",
        "        <Citation_Information>",
        "            <author_list>archive_fed developers</author_list>",
        "            <publication_year>2025</publication_year>",
        "            <description>",
        "          A small PDS4 bundle shipped inside the archive_fed package, federating sample products of",
        "          three lunar missions: Chang'e-4 Lunar Penetrating Radar products as distributed by the",
        "          CNSA GRAS data release system (their own PDS4-style labels, kept as they are), LRO LROC",
        "          products with PDS4 migration labels, and KPLO (Danuri) ShadowCam calibrated images of",
        "          permanently shadowed regions near the lunar south pole. The products are synthetic:",
        "          the labels follow the archives' dialects, the data are small generated arrays and tables.",
        "            </description>",
        "        </Citation_Information>",
        "        <Modification_History>",
        "            <Modification_Detail>",
        "                <modification_date>2025-01-15</modification_date>",
        "                <version_id>1.0</version_id>",
        "                <description>First release of the sample bundle</description>",
        "            </Modification_Detail>",
        "        </Modification_History>",
        "    </Identification_Area>",
        "    <Context_Area>",
        "        <Time_Coordinates>",
        f"            <start_date_time>{start}</start_date_time>",
        f"            <stop_date_time>{stop}</stop_date_time>",
        "        </Time_Coordinates>",
        "        <Primary_Result_Summary>",
        "            <purpose>Science</purpose>",
        "            <processing_level>Raw</processing_level>",
        "            <processing_level>Calibrated</processing_level>",
        "        </Primary_Result_Summary>",
    ]
    for c in collections:
        lines += ["        <Investigation_Area>", f"            <name>{xml_escape(c.investigation[0])}</name>",
                  "            <type>Mission</type>"]
        if c.investigation[1]:
            lines += internal_reference("            ", c.investigation[1], "bundle_to_investigation")
        lines.append("        </Investigation_Area>")
    lines += [
        "        <Target_Identification>",
        "            <name>Moon</name>",
        "            <type>Satellite</type>",
        *internal_reference("            ", "urn:nasa:pds:context:target:satellite.earth.moon", "bundle_to_target"),
        "        </Target_Identification>",
        "    </Context_Area>",
        "    <Bundle>",
        "        <bundle_type>Archive</bundle_type>",
        "        <description>Sample data collections of the archive_fed package.</description>",
        "    </Bundle>",
    ]
    for c in collections:
        lines += ["    <Bundle_Member_Entry>",
                  f"        <lidvid_reference>{BUNDLE_LID}:{c.name}::1.0</lidvid_reference>",
                  "        <member_status>Primary</member_status>",
                  "        <reference_type>bundle_has_data_collection</reference_type>",
                  "    </Bundle_Member_Entry>"]
    lines.append("</Product_Bundle>")
    return lf(lines)

def build_pds4() -> tuple[dict[str, bytes], list[dict]]:
    files: dict[str, bytes] = {}
    summary = []
    ce4 = CollectionInfo(
        name="change4_lpr", title="Chang'e-4 Lunar Penetrating Radar Level 2B sample collection",
        description="Chang'e-4 (Yutu-2 rover) LPR channel 1 and channel 2B Level 2B products with their GRAS labels.",
        level="Calibrated", investigation=("CE4", None),
        observing=[("CE4Ro", "Spacecraft", None), ("Lunar Penetrating Radar", "Instrument", None)],
        targets=[("Moon", "Satellite", "urn:nasa:pds:context:target:satellite.earth.moon")])
    for p in CE4_PRODUCTS:
        data = ce4_data(p)
        name = ce4_name(p)
        files[f"change4_lpr/{name}"] = data
        files[f"change4_lpr/{name}L"] = ce4_label(p, data)
        ce4.members.append(f"{name}::1.0")
        ce4.times.append((p.start + "Z", p.stop + "Z"))
        summary.append(dict(product_id=name, position=p.position, records=p.records))
    lro = CollectionInfo(
        name="lro_lroc", title="LRO LROC NAC sample collection (PDS4 migration labels)",
        description="LROC Narrow Angle Camera EDR and CDR products with PDS4 migration labels.",
        level="Calibrated",
        investigation=("LUNAR RECONNAISSANCE ORBITER",
                       "urn:nasa:pds:context:investigation:mission.lunar_reconnaissance_orbiter"),
        observing=[("LUNAR RECONNAISSANCE ORBITER", "Host", "urn:nasa:pds:context:instrument_host:spacecraft.lro"),
                   ("LUNAR RECONNAISSANCE ORBITER CAMERA", "Instrument", "urn:nasa:pds:context:instrument:lro.lroc")],
        targets=[("Moon", "Satellite", "urn:nasa:pds:context:target:satellite.earth.moon")])
    for p in LROC_PDS4:
        made = lroc_pds4_product(p)
        files.update(made["files"])
        lro.members.append(made["lidvid"])
        lro.times.append(made["time"])
        summary.append(made["summary"])
    kplo = CollectionInfo(
        name="kplo_shadowcam", title="KPLO ShadowCam calibrated sample collection",
        description="ShadowCam calibrated images of permanently shadowed regions near the lunar south pole.",
        level="Calibrated",
        investigation=("KOREA PATHFINDER LUNAR ORBITER", "urn:nasa:pds:context:investigation:mission.kplo"),
        observing=[("Korea Pathfinder Lunar Orbiter (Danuri)", "Host",
                    "urn:nasa:pds:context:instrument_host:spacecraft.kplo"),
                   ("ShadowCam", "Instrument", "urn:nasa:pds:context:instrument:kplo.shadowcam")],
        targets=[("Earth", "Planet", "urn:nasa:pds:context:target:planet.earth"),
                 ("Moon", "Satellite", "urn:nasa:pds:context:target:satellite.earth.moon")])
    for p in SHADOWCAM:
        made = shadowcam_product(p)
        files.update(made["files"])
        kplo.members.append(made["lidvid"])
        kplo.times.append(made["time"])
        summary.append(made["summary"])
    collections = [ce4, lro, kplo]
    for c in collections:
        files.update(collection_files(c))
    files["bundle_archive_fed_sample.xml"] = bundle_label(collections)
    return {f"pds4_bundle/{k}": v for k, v in files.items()}, summary
