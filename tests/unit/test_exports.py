"""Exports with provenance: CSV formula injection, GeoJSON/GeoPackage row counts and footers."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import LineString

from dashboard.builders.provenance import build_provenance, filter_summary
from incidents.auth import Role, User
from incidents.demo import generate_demo_incidents
from incidents.export import DEMO_WARNING, PROVENANCE_LAYER, export_incidents, provenance_path
from incidents.query import IncidentFilter
from incidents.store import IncidentStore
from incidents.store.corridors import active_corridor_segments, add_corridor_version, retire_corridor

HYPERLINK = '=HYPERLINK("http://x","y")'
CHOSEN = IncidentFilter(
    countries=("MLI",),
    preset="custom",
    since=datetime(2020, 1, 1).date(),
    until=datetime(2025, 12, 31).date(),
)


@pytest.fixture
def frame():
    rows = generate_demo_incidents(12).reset_index(drop=True)
    rows.loc[0, "notes"] = HYPERLINK
    rows.loc[1, "notes"] = "-12.5"
    rows.loc[2, "location"] = "@SUM(A1)"
    return rows


def test_csv_neutralises_formulas_and_keeps_numbers(frame, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    provenance = build_provenance(frame, CHOSEN, generated_at=datetime(2025, 1, 2, tzinfo=UTC))
    assert export_incidents(frame, path, provenance) == len(frame)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(frame)
    note = rows[0]["notes"]
    assert note == "'" + HYPERLINK
    assert note[0] == "'" and not note.startswith(("=", "+", "-", "@"))
    assert rows[1]["notes"] == "-12.5"  # a plain number stays readable
    assert rows[2]["location"].startswith("'@")
    for row in rows:
        float(row["longitude"])  # numeric columns are not quoted
        int(row["fatalities"])
    assert any(float(row["longitude"]) < 0 for row in rows)  # negative numbers stay numbers

    sidecar = provenance_path(path).read_text(encoding="utf-8")
    assert sidecar.startswith("Warning: " + DEMO_WARNING)
    assert "Filters: Countries: MLI; Dates: 2020-01-01 to 2025-12-31" in sidecar
    assert "Generated at: 2025-01-02 00:00 UTC" in sidecar
    assert "Demo incidents are synthetic" in sidecar and "Natural Earth" in sidecar
    assert "UCDP" not in sidecar  # only demo rows are exported: no other incident source is credited


def test_csv_without_provenance_writes_no_sidecar(frame, tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    export_incidents(frame, path)
    assert not provenance_path(path).exists()


def test_geojson_has_rows_and_provenance_member(frame, tmp_path: Path) -> None:
    path = tmp_path / "out.geojson"
    export_incidents(frame, path, build_provenance(frame, CHOSEN))
    assert len(gpd.read_file(path)) == len(frame)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["provenance"]["includes_demo"] is True
    assert document["provenance"]["warning"] == DEMO_WARNING
    assert document["provenance"]["filters"] == filter_summary(CHOSEN)


def test_gpkg_has_rows_and_provenance_layer(frame, tmp_path: Path) -> None:
    path = tmp_path / "out.gpkg"
    export_incidents(frame, path, build_provenance(frame, CHOSEN))
    assert len(gpd.read_file(path, layer="incidents")) == len(frame)
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert layers == {"incidents", PROVENANCE_LAYER}
    table = pyogrio.read_dataframe(path, layer=PROVENANCE_LAYER)
    values = dict(zip(table["key"], table["value"], strict=True))
    assert values["includes_demo"] == "yes" and "warning" in values


def test_no_demo_warning_without_demo_rows(frame, tmp_path: Path) -> None:
    real = frame.assign(source_dataset="ucdp")
    provenance = build_provenance(real, CHOSEN)
    assert not provenance.includes_demo
    assert DEMO_WARNING not in provenance.to_text()


def test_a_corridor_filter_names_the_version_it_used(store: IncidentStore) -> None:
    near_c1 = replace(CHOSEN, corridor_id="C1", corridor_km=25.0)
    assert filter_summary(near_c1).endswith("Within 25 km of corridor C1")  # no corridors given: as before
    assert "corridor C1 (version 1)" in filter_summary(near_c1, corridors=active_corridor_segments(store))
    analyst = User("ana", Role.ANALYST)
    route = gpd.GeoDataFrame(geometry=[LineString([(-1.6, 14.1), (-2.9, 15.0)])], crs=4326)
    add_corridor_version(store, "C1", route, name="C1 rerouted", by=analyst)
    frame = generate_demo_incidents(n=20, seed=3)
    provenance = build_provenance(frame, near_c1, corridors=active_corridor_segments(store))
    assert "corridor C1 (version 2)" in provenance.filters
    retire_corridor(store, "C1", by=analyst)
    assert "corridor C1 (not in force: matches no incident)" in filter_summary(
        near_c1, corridors=active_corridor_segments(store)
    )
