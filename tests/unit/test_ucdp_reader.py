"""UCDP GED reader: the 19 real sample rows mapped onto the canonical incident."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from incidents.errors import FileLevelError
from incidents.model import INCIDENT_COLUMNS
from incidents.readers import read_ucdp_ged, ucdp_to_canonical

SAMPLE = Path(__file__).resolve().parents[2] / "incidents" / "data" / "ucdp_ged_sample_sahel_2012plus.csv"


@pytest.fixture(scope="module")
def ucdp() -> pd.DataFrame:
    return read_ucdp_ged(SAMPLE).set_index("source_event_id", drop=False)


def test_reads_all_19_rows_as_canonical(ucdp: pd.DataFrame) -> None:
    assert len(ucdp) == 19
    assert list(ucdp.columns) == list(INCIDENT_COLUMNS)
    assert (ucdp["source_dataset"] == "ucdp").all()
    assert ucdp["incident_id"].str.fullmatch(r"ucdp:\d+").all()


def test_mali_battle_row_is_mapped(ucdp: pd.DataFrame) -> None:
    # id 237564: Government of Mali vs JNIM at Boulikessi, 2017-03-29, best = 3, where_prec 1.
    row = ucdp.loc["237564"]
    assert row["incident_id"] == "ucdp:237564"
    assert row["event_type"] == "battle"
    assert row["sub_event_type"] == "state-based"
    assert row["fatalities"] == 3
    assert row["geo_precision"] == 1
    assert row["event_date"] == pd.Timestamp(2017, 3, 29)
    assert row["date_precision"] == "day"
    assert row["actor1"] == "Government of Mali"
    assert row["actor2"] == "JNIM"
    assert row["actor_group"] == "JNIM"
    assert not row["civilian_targeting"]
    assert row["location"] == "Boulikessi village"
    assert (row["country_iso3"], row["admin1_name"], row["admin2_name"]) == ("MLI", "Mopti", "Douentza")
    assert (row["reported_country"], row["reported_admin1"]) == ("Mali", "Mopti region")
    assert row["source"] == "Agence France Presse: New jihadist alliance claims border attack in Mali"


def test_region_level_location_maps_to_coarse_precision(ucdp: pd.DataFrame) -> None:
    # id 256789: where_prec 4 (admin-1 region) -> geo_precision 3.
    assert ucdp.loc["256789", "geo_precision"] == 3
    # id 352268: where_prec 2, date_prec 2 -> geo 2, week.
    assert ucdp.loc["352268", "geo_precision"] == 2
    assert ucdp.loc["352268", "date_precision"] == "week"


def test_one_sided_violence_targets_civilians(ucdp: pd.DataFrame) -> None:
    row = ucdp.loc["285416"]  # Koglweogo vs civilians, Soum, 23 deaths
    assert row["event_type"] == "violence_against_civilians"
    assert row["sub_event_type"] == "one-sided"
    assert row["civilian_targeting"]
    assert row["fatalities"] == 23
    assert row["actor_group"] == "militia"
    assert (ucdp["civilian_targeting"] == (ucdp["sub_event_type"] == "one-sided")).all()


def test_every_row_gets_a_country_from_its_coordinates(ucdp: pd.DataFrame) -> None:
    assert ucdp["country_iso3"].notna().all()
    assert ucdp["country_iso3"].value_counts().to_dict() == {"MLI": 6, "BFA": 4, "DZA": 4, "LBY": 4, "NER": 1}


def test_dates_with_a_time_part_are_parsed() -> None:
    raw = pd.read_csv(SAMPLE, dtype="string").head(2)
    raw["date_start"] = ["2012-02-11 00:00:00.000", "2015-05-19T00:00:00"]
    frame = ucdp_to_canonical(raw)
    assert frame["event_date"].tolist() == [pd.Timestamp(2012, 2, 11), pd.Timestamp(2015, 5, 19)]


def test_integer_ids_read_as_numbers_keep_no_decimal() -> None:
    raw = pd.read_csv(SAMPLE).head(1)
    raw["id"] = raw["id"].astype(float)
    assert ucdp_to_canonical(raw)["source_event_id"].tolist() == ["29083"]


def test_missing_required_columns_are_named(tmp_path: Path) -> None:
    broken = tmp_path / "ged.csv"
    pd.read_csv(SAMPLE).drop(columns=["best", "date_start"]).to_csv(broken, index=False)
    with pytest.raises(FileLevelError, match=r"ged\.csv.*\['date_start', 'best'\]"):
        read_ucdp_ged(broken)


def test_missing_file_is_a_file_level_error(tmp_path: Path) -> None:
    with pytest.raises(FileLevelError, match="not found"):
        read_ucdp_ged(tmp_path / "absent.csv")
