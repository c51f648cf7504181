"""PDS4 XML pieces in the NASA style shared by the LROC migration and ShadowCam labels."""
from __future__ import annotations




# ======================================================================= PDS4: shared XML pieces (NASA style)
IM_VERSION = "1.20.0.0"
SCHEMA_PDS = "https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1K00.xsd"


def xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def internal_reference(indent: str, lid: str, ref_type: str, comment: str | None = None) -> list[str]:
    lines = [f"{indent}<Internal_Reference>", f"{indent}  <lid_reference>{lid}</lid_reference>",
             f"{indent}  <reference_type>{ref_type}</reference_type>"]
    if comment:
        lines.append(f"{indent}  <comment>{comment}</comment>")
    return lines + [f"{indent}</Internal_Reference>"]


def bounding_coordinates(indent: str, west: float, east: float, north: float, south: float,
                         image_id: str) -> list[str]:
    i = indent
    return [
        f"{i}<Discipline_Area>",
        f"{i}  <cart:Cartography>",
        f"{i}    <Local_Internal_Reference>",
        f"{i}      <local_identifier_reference>{image_id}</local_identifier_reference>",
        f"{i}      <local_reference_type>cartography_parameters_to_image_object</local_reference_type>",
        f"{i}    </Local_Internal_Reference>",
        f"{i}    <cart:Spatial_Domain>",
        f"{i}      <cart:Bounding_Coordinates>",
        f'{i}        <cart:west_bounding_coordinate unit="deg">{west}</cart:west_bounding_coordinate>',
        f'{i}        <cart:east_bounding_coordinate unit="deg">{east}</cart:east_bounding_coordinate>',
        f'{i}        <cart:north_bounding_coordinate unit="deg">{north}</cart:north_bounding_coordinate>',
        f'{i}        <cart:south_bounding_coordinate unit="deg">{south}</cart:south_bounding_coordinate>',
        f"{i}      </cart:Bounding_Coordinates>",
        f"{i}    </cart:Spatial_Domain>",
        f"{i}  </cart:Cartography>",
        f"{i}</Discipline_Area>",
    ]


def array_2d(indent: str, local_id: str, offset: int, dtype: str, lines: int, samples: int,
             extra: list[str] = (), constants: list[str] = ()) -> list[str]:
    i = indent
    out = [
        f"{i}<Array_2D_Image>",
        f"{i}  <local_identifier>{local_id}</local_identifier>",
        f'{i}  <offset unit="byte">{offset}</offset>',
        f"{i}  <axes>2</axes>",
        f"{i}  <axis_index_order>Last Index Fastest</axis_index_order>",
        f"{i}  <Element_Array>",
        f"{i}    <data_type>{dtype}</data_type>",
        *[f"{i}    {e}" for e in extra],
        f"{i}  </Element_Array>",
        f"{i}  <Axis_Array>",
        f"{i}    <axis_name>Line</axis_name>",
        f"{i}    <elements>{lines}</elements>",
        f"{i}    <sequence_number>1</sequence_number>",
        f"{i}  </Axis_Array>",
        f"{i}  <Axis_Array>",
        f"{i}    <axis_name>Sample</axis_name>",
        f"{i}    <elements>{samples}</elements>",
        f"{i}    <sequence_number>2</sequence_number>",
        f"{i}  </Axis_Array>",
    ]
    if constants:
        out += [f"{i}  <Special_Constants>", *[f"{i}    {c}" for c in constants], f"{i}  </Special_Constants>"]
    return out + [f"{i}</Array_2D_Image>"]
