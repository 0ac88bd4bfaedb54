"""Uploaded corridor files: GeoJSON, KML and waypoint CSV parse to segments; bad files fail clearly."""

from __future__ import annotations

import json

import pytest

from geodata.corridor_files import parse_geojson, parse_kml, read_corridor_file
from geodata.corridors import SEGMENT_COLUMNS, WAYPOINTS_PATH
from geodata.errors import CorridorFileError, DataFileError

KML = b"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
  <Placemark><name>Gao - Ansongo</name>
    <ExtendedData><Data name="armed_groups"><value>IS Sahel</value></Data></ExtendedData>
    <LineString><coordinates>-0.04,16.27,0 0.50,15.66,0</coordinates></LineString></Placemark>
  <Placemark><name>a point</name><Point><coordinates>1,15</coordinates></Point></Placemark>
  <Placemark><name>two parts</name><MultiGeometry>
    <LineString><coordinates>0.5,15.66 1.0,15.5</coordinates></LineString>
    <LineString><coordinates>1.0,15.5 1.5,15.3</coordinates></LineString>
  </MultiGeometry></Placemark>
</Document></kml>"""


def _collection(*geometries: dict, properties: dict | None = None) -> bytes:
    features = [{"type": "Feature", "geometry": g, "properties": properties} for g in geometries]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def test_geojson_lines_and_multilines_become_segments() -> None:
    content = _collection(
        {"type": "LineString", "coordinates": [[0, 14], [1, 14]]},
        {"type": "MultiLineString", "coordinates": [[[1, 14], [1, 15]], [[1, 15], [2, 15]]]},
        properties={"corridor_id": "X1", "name": "Test", "armed_groups": "JNIM"},
    )
    segments = read_corridor_file("route.geojson", content)
    assert list(segments.columns) == [*SEGMENT_COLUMNS, "geometry"]
    assert segments["segment"].tolist() == [1, 2, 3]
    assert set(segments["corridor_id"]) == {"X1"}
    assert set(segments["corridor_name"]) == {"Test"}
    # one degree of longitude at 14 N is about 108 km on the ellipsoid
    assert segments["length_km"].iloc[0] == pytest.approx(108.0, rel=0.01)
    assert segments.crs.to_epsg() == 4326


def test_geojson_without_properties_is_accepted() -> None:
    segments = parse_geojson(json.dumps({"type": "LineString", "coordinates": [[0, 14], [1, 14]]}))
    assert len(segments) == 1 and segments["corridor_id"].iloc[0] == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (_collection({"type": "Point", "coordinates": [0, 14]}), "'Point' not in"),
        (_collection({"type": "LineString", "coordinates": [[0, 14], [0, 14]]}), "fewer than 2 distinct"),
        (_collection({"type": "LineString", "coordinates": [[0, 14], [200, 14]]}), "outside lon"),
    ],
)
def test_bad_geojson_raises_typed_error(content: bytes, message: str) -> None:
    with pytest.raises(CorridorFileError, match=message) as caught:
        read_corridor_file("bad.geojson", content)
    assert isinstance(caught.value, DataFileError)  # callers catching the geodata base still work


def test_kml_linestrings_become_segments_points_ignored() -> None:
    segments = parse_kml(KML)
    assert len(segments) == 3
    assert segments["corridor_name"].tolist() == ["Gao - Ansongo", "two parts", "two parts"]
    assert segments["armed_groups"].iloc[0] == "IS Sahel"


def test_hostile_kml_with_entity_is_rejected() -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b"<kml><Placemark><name>&b;</name><LineString><coordinates>0,14 1,14</coordinates></LineString>"
        b"</Placemark></kml>"
    )
    with pytest.raises(CorridorFileError, match="DOCTYPE or ENTITY"):
        read_corridor_file("evil.kml", hostile)
    with pytest.raises(CorridorFileError, match="DOCTYPE or ENTITY"):
        parse_kml(b'<!ENTITY x SYSTEM "file:///etc/passwd"><kml/>')


def test_kml_without_lines_and_malformed_xml() -> None:
    with pytest.raises(CorridorFileError, match="no Placemark with a LineString"):
        parse_kml(b"<kml><Placemark><Point><coordinates>1,2</coordinates></Point></Placemark></kml>")
    with pytest.raises(CorridorFileError, match="not well-formed"):
        parse_kml(b"<kml><Placemark>")


def test_waypoint_csv_reuses_the_shipped_rules() -> None:
    segments = read_corridor_file("waypoints.csv", WAYPOINTS_PATH.read_bytes())
    assert set(segments["corridor_id"]) == {f"C{i}" for i in range(1, 10)}
    first = segments[segments["corridor_id"] == "C1"]
    assert first["segment"].tolist() == list(range(1, len(first) + 1))


def test_bad_waypoint_csv_and_unknown_extension() -> None:
    bad = WAYPOINTS_PATH.read_text(encoding="utf-8").splitlines()
    bad[1] = bad[1].replace(",15.81791,", ",95.0,")
    with pytest.raises(CorridorFileError, match="lat"):
        read_corridor_file("w.csv", "\n".join(bad).encode())
    with pytest.raises(CorridorFileError, match=r"extension '\.shp'"):
        read_corridor_file("route.shp", b"x")
