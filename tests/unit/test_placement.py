"""Placing rows without coordinates, the border tolerance, and rows outside the coverage.

Uses the shipped gazetteer and boundaries (no stand-ins): the rules are about real names
("Bani" exists five times in Burkina Faso) and real generalised borders.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from geodata.admin_units import admin_key, find_units, match_named_units, unit
from geodata.boundaries import load_admin2
from geodata.gazetteer import find_places
from incidents.cli.main import main
from incidents.errors import FileLevelError
from incidents.ingest.adapters import adapt
from incidents.ingest.detect import detect_format
from incidents.ingest.pipeline import prepare_import
from incidents.ingest.place_names import ADMIN3_UNCERTAINTY_KM, place_row
from incidents.ingest.staged import RawTable, StagedTable
from incidents.ingest.validate import BORDER_TOLERANCE_KM, ValidationResult, validate_staged
from incidents.model import INCIDENT_COLUMNS
from incidents.store import IncidentStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
NOCOORDS = FIXTURES / "acled_2022_westafrica_nocoords.csv"
OUTSIDE = FIXTURES / "acled_outside_coverage.csv"
TODAY = date(2026, 1, 1)
#: The header of the real reduced extract (no coordinates, two ACLED-only columns).
REDUCED_HEADER = [
    *("event_id_cnty", "event_date", "year", "event_type", "sub_event_type", "actor1", "actor2"),
    *("country", "admin1", "admin2", "admin3", "location", "fatalities", "notes"),
]


# --- detection and the adapter ------------------------------------------------------------------


def test_acled_without_coordinates_is_detected_when_it_has_acled_columns() -> None:
    header = list(pd.read_csv(NOCOORDS, nrows=0).columns)
    assert "latitude" not in header
    assert detect_format(header) == "acled"
    # Without coordinates, a place name or an admin column is what makes it placeable.
    placeless = [name for name in header if name not in ("location", "admin1", "admin2", "admin3")]
    assert detect_format(placeless) == "generic"


def _raw(frame: pd.DataFrame) -> RawTable:
    frame = frame.astype("string")
    return RawTable(frame, pd.Series(np.arange(len(frame)) + 2), "utf-8", ",")


def test_acled_adapter_accepts_the_reduced_extract_and_keeps_admin3() -> None:
    frame = pd.read_csv(NOCOORDS, dtype=str, keep_default_na=False)[REDUCED_HEADER]
    staged = adapt(_raw(frame), "acled")
    assert staged.format == "acled"
    assert staged.frame["reported_admin3"].iloc[0] == "Djibo"
    assert staged.source_columns["reported_admin3"] == "admin3"
    assert staged.frame["latitude"].isna().all()


def test_acled_adapter_refuses_a_file_it_cannot_place() -> None:
    frame = pd.DataFrame({"event_date": ["2022-01-01"], "event_type": ["Battles"], "latitude": ["14.1"]})
    with pytest.raises(FileLevelError, match="latitude and longitude, or"):
        adapt(_raw(frame), "acled")


def test_generic_commune_column_maps_to_reported_admin3() -> None:
    frame = pd.DataFrame({"Date": ["12/03/2022"], "Commune": ["Djibo"], "Région": ["Sahel"]})
    staged = adapt(_raw(frame), "generic")
    assert staged.frame["reported_admin3"].tolist() == ["Djibo"]
    assert staged.frame["reported_admin1"].tolist() == ["Sahel"]


# --- admin names, centres and radii ------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "layer_name"),
    [
        ("Timbuktu", "Tombouctou"),
        ("TOMBOUCTOU", "Tombouctou"),
        ("Segou", "Ségou"),
        ("Région du Sahel", "Sahel"),
        ("Mouhoun", "Mou Houn"),
        ("High-Basins Region", "Hauts-Bassins"),
        ("Tillabery", "Tillabéri"),
    ],
)
def test_admin_names_match_across_spellings(spelling: str, layer_name: str) -> None:
    assert admin_key(spelling) == admin_key(layer_name)


def test_named_units_resolve_in_the_rows_country() -> None:
    named = match_named_units("MLI", "Timbuktu", "Goundam")
    assert named.admin1 is not None and named.admin1.name == "Tombouctou"
    assert named.admin2 is not None and (named.admin2.name, named.admin2.admin1_name) == (
        "Goundam",
        "Tombouctou",
    )
    # A region newer than the admin-1 layer (Ménaka) is the admin-2 unit of that name.
    newer = match_named_units("MLI", "Ménaka", None)
    assert newer.admin1 is not None and (newer.admin1.level, newer.admin1.name) == (2, "Menaka")
    assert match_named_units("MLI", "Nowhere", "Nothing").finest is None


def test_unit_centre_lies_in_the_unit_and_radius_is_that_of_a_circle_of_its_area() -> None:
    soum = find_units(2, "Soum", "BFA")[0]
    geometry = load_admin2().geometry.iloc[soum.position]
    assert geometry.contains(shapely.Point(soum.lon, soum.lat))
    area_km2 = (
        load_admin2().geometry.iloc[[soum.position]].to_crs("ESRI:102022").area.iloc[0] / 1e6
    )  # Africa Albers
    assert soum.radius_km == pytest.approx(math.sqrt(area_km2 / math.pi), rel=0.02)
    assert unit(2, soum.position) == soum


# --- placing one row -------------------------------------------------------------------------


def test_admin_units_settle_an_ambiguous_name() -> None:
    assert place_row("Bani", "BFA", None, None, None, find_places).status == "ambiguous"
    settled = place_row("Bani", "BFA", "Sahel", "Seno", None, find_places)
    assert settled.status == "found"
    assert "gn:2361603" in settled.detail and "set aside" in settled.detail
    assert math.isnan(settled.uncertainty_km)


def test_still_ambiguous_within_the_region_falls_back_to_the_region_centre() -> None:
    placed = place_row("Bani", "BFA", "Sahel", None, None, find_places)
    assert (placed.status, placed.column, placed.geo_precision) == ("admin", "reported_admin1", 3)
    assert "ambiguous" in placed.note
    assert placed.uncertainty_km > 50


def test_unknown_village_falls_back_to_commune_seat_then_admin2_then_admin1() -> None:
    seat = place_row("Wendou-Peulh", "BFA", "Sahel", "Soum", "Djibo", find_places)
    assert (seat.status, seat.column, seat.geo_precision) == ("admin", "reported_admin3", 2)
    assert seat.uncertainty_km == ADMIN3_UNCERTAINTY_KM
    assert (seat.latitude, seat.longitude) == pytest.approx((14.0986, -1.6266), abs=1e-3)
    district = place_row("Wendou-Peulh", "BFA", "Sahel", "Soum", None, find_places)
    soum = find_units(2, "Soum", "BFA")[0]
    assert (district.column, district.geo_precision, district.admin2) == ("reported_admin2", 2, soum.position)
    assert (district.latitude, district.longitude) == (soum.lat, soum.lon)
    assert district.uncertainty_km == pytest.approx(soum.radius_km, abs=0.05)
    region = place_row("Wendou-Peulh", "BFA", "Sahel", None, None, find_places)
    assert (region.column, region.geo_precision) == ("reported_admin1", 3)
    assert region.uncertainty_km > district.uncertainty_km
    assert place_row("Wendou-Peulh", "BFA", None, None, None, find_places).status == "not_found"


def test_a_place_only_outside_the_named_region_is_another_village() -> None:
    # Djibo is in Sahel; a row saying Centre-Nord means another Djibo the gazetteer lacks.
    placed = place_row("Djibo", "BFA", "Centre-Nord", None, None, find_places)
    assert (placed.status, placed.column) == ("admin", "reported_admin1")
    assert "only outside" in placed.note


# --- the no-coordinates fixture, end to end ----------------------------------------------------


@pytest.fixture(scope="module")
def nocoords() -> ValidationResult:
    raw = pd.read_csv(NOCOORDS, dtype=str, keep_default_na=False).replace("", pd.NA)
    staged = adapt(_raw(raw), "acled")
    return validate_staged(staged, today=TODAY)


def test_nocoords_every_row_naming_an_admin_unit_is_stored_in_its_country(nocoords: ValidationResult) -> None:
    frame = pd.read_csv(NOCOORDS, dtype=str, keep_default_na=False)
    accepted = nocoords.accepted.set_index("source_event_id")
    named = frame[(frame["admin1"] != "") | (frame["admin2"] != "")]
    assert set(named["event_id_cnty"]) == set(accepted.index)
    iso3 = {"Burkina Faso": "BFA", "Mali": "MLI", "Niger": "NER"}
    for row in named.itertuples():
        assert accepted.loc[row.event_id_cnty, "country_iso3"] == iso3[row.country], row.event_id_cnty
    assert list(nocoords.accepted.columns) == list(INCIDENT_COLUMNS)
    rejected = {issue.line: issue.code for issue in nocoords.issues if issue.severity == "error"}
    assert rejected == {26: "missing_required", 27: "ambiguous_place"}


def test_nocoords_precision_and_uncertainty(nocoords: ValidationResult) -> None:
    accepted = nocoords.accepted.set_index("source_event_id")
    assert math.isnan(accepted.loc["BFA91001", "uncertainty_km"])  # Djibo itself
    assert accepted.loc["BFA91007", "uncertainty_km"] == ADMIN3_UNCERTAINTY_KM  # commune seat
    soum = accepted.loc["BFA91008"]
    assert (soum["geo_precision"], soum["admin2_name"]) == (2, "Soum")
    assert soum["uncertainty_km"] == pytest.approx(find_units(2, "Soum", "BFA")[0].radius_km, abs=0.05)
    est = accepted.loc["BFA91010"]
    assert (est["geo_precision"], est["admin1_name"]) == (3, "Est")
    assert pd.isna(est["admin2_name"])  # placed at a region's centre: no district claimed
    assert accepted.loc["MLI91104", "admin1_name"] == "Tombouctou"  # "Timbuktu" in the file
    placed_at_unit = [issue for issue in nocoords.issues if issue.code == "placed_at_admin_centroid"]
    assert {issue.line for issue in placed_at_unit} == {12, 13, 14, 15, 16, 17, 18, 19}
    by_line = {issue.line: issue for issue in placed_at_unit}
    assert by_line[13].column == "admin2" and "Soum (Sahel, BFA)" in by_line[13].message
    assert "± 64 km" in by_line[13].message


def test_nocoords_border_villages_stay_in_burkina_faso(nocoords: ValidationResult) -> None:
    accepted = nocoords.accepted.set_index("source_event_id")
    expected = {
        "BFA91011": ("Est", "Tapoa"),  # Boulèl: the coarse line puts it in Niger
        "BFA91012": ("Est", "Tapoa"),
        "BFA91013": ("Nord", "Loroum"),  # Mali side
        "BFA91014": ("Centre-Est", "Boulgou"),  # Ghana side
        "BFA91015": ("Sahel", "Soum"),
        "BFA91016": ("Sud-Ouest", "Poni"),  # Côte d'Ivoire side
    }
    for event, (admin1, admin2) in expected.items():
        row = accepted.loc[event]
        assert (row["country_iso3"], row["admin1_name"], row["admin2_name"]) == ("BFA", admin1, admin2), event
    kept = [issue for issue in nocoords.issues if issue.code == "country_mismatch"]
    assert {issue.line for issue in kept} == {20, 21, 22, 23, 24, 25}
    assert all(
        "border tolerance" in issue.message and "kept in Burkina Faso" in issue.message for issue in kept
    )


def _row(**cells: str | None) -> StagedTable:
    base = {
        "source_dataset": "generic",
        "event_date": "2022-03-01",
        "event_type": "battle",
        "fatalities": "1",
        "reported_country": "Burkina Faso",
    }
    frame = pd.DataFrame([{**base, **cells}]).astype("string")
    return StagedTable(frame, pd.Series([2]), "generic", {})


def test_beyond_the_border_tolerance_the_coordinates_win() -> None:
    # Téra (Niger) is about 40 km from Burkina Faso.
    far = validate_staged(_row(latitude="14.0078", longitude="0.7531"), today=TODAY)
    assert far.accepted["country_iso3"].tolist() == ["NER"]
    assert "the coordinates win" in far.issues[0].message
    assert BORDER_TOLERANCE_KM == 10.0
    # A given point 0.4 km across the coarse line (Boulèl) stays in Burkina Faso.
    near = validate_staged(_row(latitude="12.70425", longitude="2.11504", reported_admin1="Est"), today=TODAY)
    assert near.accepted[["country_iso3", "admin1_name"]].values.tolist() == [["BFA", "Est"]]


# --- identifiers derived from content: re-importing adds nothing --------------------------------


def test_reimporting_a_file_without_ids_adds_nothing(cli_store: IncidentStore, tmp_path: Path) -> None:
    frame = pd.read_csv(NOCOORDS, dtype=str, keep_default_na=False).drop(columns="event_id_cnty")
    path = tmp_path / "no_ids.csv"
    frame.to_csv(path, index=False)
    assert main(["import", str(path), "--format", "acled"]) == 0
    first = cli_store.count_incidents()
    assert first == 24
    assert cli_store.load_incidents()["source_event_id"].str.startswith("fp-").all()
    assert main(["import", str(path), "--format", "acled"]) == 0
    assert cli_store.count_incidents() == first


# --- rows outside the coverage ------------------------------------------------------------------


def test_outside_rows_are_skipped_counted_and_reported(
    cli_store: IncidentStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report_path = tmp_path / "report.json"
    assert main(["import", str(OUTSIDE), "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert (report["rows_read"], report["rows_accepted"], report["rows_rejected"]) == (12, 4, 1)
    assert (report["rows_outside_coverage"], report["keep_outside"]) == (7, False)
    assert "rows_duplicate" in report and "issues" in report  # the contract's keys stay
    codes = {issue["line"]: issue["code"] for issue in report["issues"]}
    outside = {line: "outside_coverage" for line in (4, 5, 7, 8, 10, 11, 13)}
    assert codes == {**outside, 9: "suspect_swapped_lat_lon"}
    stored = cli_store.load_incidents()
    assert sorted(stored["country_iso3"]) == ["MLI", "MLI", "NER", "NER"]
    assert "7 outside coverage skipped" in capsys.readouterr().out


def test_a_genuine_point_whose_swap_lands_in_coverage_is_not_called_swapped(cli_store: IncidentStore) -> None:
    # Maroua (Cameroon) and Bangui (CAR) swapped land in Niger; they are not Niger's rows.
    prepared = prepare_import(OUTSIDE, cli_store, today=TODAY)
    by_line = {issue.line: issue for issue in prepared.report.issues}
    assert by_line[8].code == "outside_coverage" and "Cameroon" in by_line[8].message
    assert by_line[11].code == "outside_coverage"
    assert by_line[9].code == "suspect_swapped_lat_lon" and "Mali" in by_line[9].message


def test_keep_outside_stores_them_with_their_reported_country(cli_store: IncidentStore) -> None:
    assert main(["import", str(OUTSIDE), "--keep-outside"]) == 0
    stored = cli_store.load_incidents().set_index("source_event_id")
    assert len(stored) == 11
    assert stored.loc["SOM92003", ["country_iso3", "country"]].tolist() == ["SOM", "Somalia"]
    assert stored.loc["CAF92010", "country_iso3"] == "CAF"
    assert stored.loc["KEN92004", ["admin1_name", "admin2_name"]].isna().all()


def test_a_country_the_coverage_does_not_know_still_gets_its_mismatch_warning() -> None:
    result = validate_staged(_row(latitude="14.5", longitude="-3.0", reported_country="Narnia"), today=TODAY)
    assert result.accepted["country_iso3"].tolist() == ["MLI"]
    assert [issue.code for issue in result.issues] == ["country_mismatch"]
    assert result.issues[0].message.endswith("lie in Mali (MLI); the coordinates win")


def test_a_row_without_a_country_is_suspected_swapped_when_the_swap_lands_in_coverage() -> None:
    # Found by the property test: a missing country must not break the comparison.
    result = validate_staged(_row(latitude="-0", longitude="12,5", reported_country=None), today=TODAY)
    assert [issue.code for issue in result.issues] == ["suspect_swapped_lat_lon"]
