"""Reading and validating site and route files (incidents.sites)."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
import shapely

from incidents.errors import SiteFileError
from incidents.ingest.report import ISSUE_COLUMNS
from incidents.ingest.staged import ImportIssue
from incidents.sites import SITE_COLUMNS, read_sites, site_from_values


def _codes(read: object) -> list[tuple[int | None, str]]:
    return [(issue.line, issue.code) for issue in read.issues]  # type: ignore[attr-defined]


def test_site_table_with_french_headers_and_decimal_commas() -> None:
    data = (
        "Nom du site;Catégorie;Latitude;Longitude\nBureau Mopti;bureau;14,49;-4,19\nCamp Gao;;16,27;-0,04\n"
    )
    read = read_sites(data.encode("utf-8"), file_name="sites.csv")
    assert read.layout == "sites"
    assert list(read.frame.columns) == list(SITE_COLUMNS)
    assert list(read.frame["name"]) == ["Bureau Mopti", "Camp Gao"]
    assert list(read.frame["site_type"]) == ["bureau", "site"]  # empty type -> default
    assert read.frame["latitude"].tolist() == [14.49, 16.27]
    assert read.frame["longitude"].tolist() == [-4.19, -0.04]
    assert set(read.frame["kind"]) == {"site"}
    assert shapely.from_wkt(read.frame.at[0, "geometry_wkt"]).equals(shapely.Point(-4.19, 14.49))
    assert read.issues == ()


def test_row_issues_are_collected_and_bad_rows_left_out() -> None:
    data = (
        "name,type,lat,lon\n"
        "Good,office,14.5,-4.2\n"  # line 2
        "Bad lat,office,abc,-4.2\n"  # line 3
        ",office,14.5,-4.2\n"  # line 4: no name
        "Far,office,95,-4.2\n"  # line 5: out of range
        "Swapped,office,-4.2,14.5\n"  # line 6: warning only
        "Good,office,14.5,-4.2\n"  # line 7: duplicate
    )
    read = read_sites(data.encode(), file_name="s.csv")
    assert list(read.frame["name"]) == ["Good", "Swapped"]
    codes = _codes(read)
    assert (3, "bad_coordinate") in codes
    assert (4, "missing_required") in codes
    assert (5, "coordinate_out_of_range") in codes
    assert (6, "suspect_swapped_lat_lon") in codes
    assert (7, "duplicate_in_file") in codes
    assert read.rows_read == 6 and read.rows_rejected == 4
    issues = read.issues_frame()
    assert list(issues.columns) == ["line", "column", "code", "severity", "message", "value"]
    assert "'abc'" in issues.loc[issues["code"] == "bad_coordinate", "message"].iloc[0]


def test_a_cut_off_site_row_is_reported_not_padded_or_dropped() -> None:
    data = b"name,type,lat,lon\nGood,office,14.5,-4.2\nCut,office,14.5"  # line 3 ends mid-row
    read = read_sites(data, file_name="s.csv")
    assert list(read.frame["name"]) == ["Good"]
    assert _codes(read) == [(3, "truncated_row")]
    assert read.rows_read == 2 and read.rows_rejected == 1


def test_missing_columns_is_a_file_level_error_naming_the_accepted_headers() -> None:
    with pytest.raises(SiteFileError, match="latitude") as info:
        read_sites(b"name,type,where\nA,b,c\n", file_name="s.csv")
    assert "lat" in str(info.value)


def test_route_csv_becomes_ordered_linestrings() -> None:
    data = "route,seq,lat,lon\nR1,2,14.6,-4.1\nR1,1,14.5,-4.2\nR1,3,14.7,-4.0\nR2,1,13.0,-3.0\n"
    read = read_sites(data.encode(), file_name="routes.csv")
    assert read.layout == "routes"
    assert list(read.frame["name"]) == ["R1"]
    line = shapely.from_wkt(read.frame.at[0, "geometry_wkt"])
    assert line.geom_type == "LineString"
    assert list(line.coords) == [(-4.2, 14.5), (-4.1, 14.6), (-4.0, 14.7)]
    assert read.frame.at[0, "kind"] == "route"
    assert [(issue.line, issue.code) for issue in read.issues] == [(5, "route_too_short")]


def test_geojson_lines_and_points() -> None:
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Convoy", "type": "supply route"},
                "geometry": {"type": "LineString", "coordinates": [[-4.2, 14.5], [-3.0, 15.0]]},
            },
            {
                "type": "Feature",
                "properties": {"nom": "Depot"},
                "geometry": {"type": "Point", "coordinates": [-3, 13]},
            },
            {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": []}},
        ],
    }
    read = read_sites(json.dumps(document).encode(), file_name="routes.geojson")
    assert list(read.frame["name"]) == ["Convoy", "Depot"]
    assert list(read.frame["kind"]) == ["route", "site"]
    assert read.frame.at[0, "site_type"] == "supply route"
    assert _codes(read) == [(3, "unsupported_geometry")]


def test_bad_geojson_is_a_file_level_error() -> None:
    with pytest.raises(SiteFileError, match="not valid GeoJSON"):
        read_sites(b"{not json", file_name="x.geojson")


def test_xlsx_site_table() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Site", "Type", "Lat", "Long"])
    sheet.append(["Kidal base", "camp", 18.44, 1.41])
    buffer = io.BytesIO()
    book.save(buffer)
    read = read_sites(buffer.getvalue(), file_name="sites.xlsx")
    assert list(read.frame["name"]) == ["Kidal base"]
    assert read.frame.at[0, "latitude"] == pytest.approx(18.44)


def test_site_from_values_checks_its_inputs() -> None:
    frame = site_from_values("  Office  ", "", 14.0, -4.0)
    assert frame.at[0, "name"] == "Office" and frame.at[0, "site_type"] == "site"
    with pytest.raises(ValueError, match="name"):
        site_from_values(" ", "camp", 14.0, -4.0)
    with pytest.raises(ValueError, match="latitude"):
        site_from_values("A", "camp", 91.0, -4.0)


def test_empty_file_is_refused() -> None:
    with pytest.raises(SiteFileError, match="empty"):
        read_sites(b"   ", file_name="s.csv")


def test_issues_are_import_issues_under_the_files_own_column_names() -> None:
    data = b"route,seq,lat,lon\nR1,1,14.5,-4.2\nR1,1,14.6,-4.1\nR1,inf,14.7,-4.0\nR1,2,14.8,x\nR1,3,14.9,-3\n"
    read = read_sites(data, file_name="routes.csv")
    assert all(isinstance(issue, ImportIssue) for issue in read.issues)
    assert [(issue.line, issue.column, issue.code) for issue in read.issues] == [
        (3, "seq", "bad_sequence"),  # seq 1 used twice: the later row is left out
        (4, "seq", "bad_sequence"),  # not a finite whole number
        (5, "lon", "bad_coordinate"),  # the file's own header, as in the import report
    ]
    assert list(read.issues_frame().columns) == list(ISSUE_COLUMNS)
    assert read.rows_rejected == 3 and list(read.frame["name"]) == ["R1"]
