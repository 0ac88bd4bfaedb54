"""Synthetic demo incidents: deterministic, labelled, plausible, and loaded idempotently."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from incidents.demo import (
    BURST_SHARE,
    DEMO_NOTE,
    DemoLoadResult,
    _follow_up_counts,
    ensure_demo_loaded,
    generate_demo_incidents,
    load_demo,
)
from incidents.model import INCIDENT_COLUMNS, conform_incidents
from incidents.store import IncidentStore, open_store


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return generate_demo_incidents(n=5_000)


@pytest.fixture
def store(tmp_path: Path) -> IncidentStore:
    opened = open_store(f"sqlite:///{tmp_path}/s.db")
    yield opened
    opened.close()


def test_same_seed_gives_identical_frame() -> None:
    pd.testing.assert_frame_equal(
        generate_demo_incidents(n=800, seed=7), generate_demo_incidents(n=800, seed=7)
    )


def test_different_seed_gives_different_frame() -> None:
    first, second = generate_demo_incidents(n=800, seed=7), generate_demo_incidents(n=800, seed=8)
    assert not first["latitude"].equals(second["latitude"])
    assert not first["event_date"].equals(second["event_date"])


@pytest.mark.parametrize("n", [0, 1, 1_234])
def test_row_count_is_exact(n: int) -> None:
    assert len(generate_demo_incidents(n=n, seed=3)) == n


def test_every_row_is_labelled_demo(demo: pd.DataFrame) -> None:
    assert (demo["source_dataset"] == "demo").all()
    assert (demo["notes"] == DEMO_NOTE).all()
    assert "not a real incident" in DEMO_NOTE
    assert demo["source_event_id"].iloc[0] == "DEMO-000001"
    assert demo["source_event_id"].str.fullmatch(r"DEMO-\d{6}").all()
    assert demo["incident_id"].is_unique


def test_frame_is_canonical(demo: pd.DataFrame) -> None:
    assert list(demo.columns) == list(INCIDENT_COLUMNS)
    assert {name: str(dtype) for name, dtype in demo.dtypes.items()} == {
        name: str(pd.Series(dtype=dtype).dtype) for name, dtype in INCIDENT_COLUMNS.items()
    }
    pd.testing.assert_frame_equal(conform_incidents(demo), demo)


def test_every_point_lies_in_a_covered_country(demo: pd.DataFrame) -> None:
    assert demo["country_iso3"].notna().all()
    assert demo["admin1_code"].notna().all()


def test_most_activity_is_in_mali_burkina_niger(demo: pd.DataFrame) -> None:
    shares = demo["country_iso3"].value_counts(normalize=True)
    assert shares[["MLI", "BFA", "NER"]].sum() > 0.85
    assert shares.idxmax() == "MLI"


def test_dates_lie_in_range_and_rise_over_time(demo: pd.DataFrame) -> None:
    assert demo["event_date"].min() >= pd.Timestamp(2018, 1, 1)
    assert demo["event_date"].max() <= pd.Timestamp(2025, 12, 31)
    per_year = demo["event_date"].dt.year.value_counts()
    assert per_year[2025] > 1.8 * per_year[2018]


def _close_pairs(days: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> int:
    """Pairs of events within 10 km of each other, the second 1-14 days after the first."""
    order = np.argsort(days, kind="stable")
    days, lat, lon = days[order], lat[order], lon[order]
    found = 0
    for i in range(len(days)):
        first, last = np.searchsorted(days, days[i] + 1), np.searchsorted(days, days[i] + 14, side="right")
        km = np.hypot(
            (lat[first:last] - lat[i]) * 111.32,
            (lon[first:last] - lon[i]) * 111.32 * np.cos(np.radians(lat[i])),
        )
        found += int((km < 10).sum())
    return found


def test_events_come_in_bursts_close_in_space_and_time(demo: pd.DataFrame) -> None:
    """Knox-style: far more close pairs than the same points with their dates shuffled."""
    days = demo["event_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    lat, lon = demo["latitude"].to_numpy(), demo["longitude"].to_numpy()
    observed = _close_pairs(days, lat, lon)
    shuffled = _close_pairs(np.random.default_rng(0).permutation(days), lat, lon)
    assert observed > 2 * shuffled > 0


def test_follow_ups_are_a_fixed_share_of_the_rows() -> None:
    assert sum(_follow_up_counts(20_000)) == round(20_000 * BURST_SHARE)
    assert _follow_up_counts(1) == (0, 0)
    first, second = _follow_up_counts(1_234)
    assert first + second == 185 and second <= first


def test_custom_date_range_is_respected() -> None:
    frame = generate_demo_incidents(n=300, seed=1, start=date(2024, 1, 1), end=date(2024, 3, 31))
    assert frame["event_date"].between(pd.Timestamp(2024, 1, 1), pd.Timestamp(2024, 3, 31)).all()


def test_event_type_mix_is_plausible(demo: pd.DataFrame) -> None:
    shares = demo["event_type"].value_counts(normalize=True)
    assert 0.25 <= shares["battle"] <= 0.45
    assert 0.15 <= shares["violence_against_civilians"] <= 0.35
    assert 0.03 <= shares["abduction"] <= 0.12
    assert 0.03 <= shares["protest_riot"] <= 0.13


def test_actor_groups_follow_regions(demo: pd.DataFrame) -> None:
    menaka = demo[demo["admin2_name"] == "Menaka"]
    mopti = demo[demo["admin1_name"] == "Mopti"]
    assert len(menaka) > 50 and len(mopti) > 50
    assert menaka["actor_group"].value_counts().idxmax() == "IS Sahel"
    assert mopti["actor_group"].value_counts().idxmax() == "JNIM"


def test_fatalities_are_zero_inflated_and_type_dependent(demo: pd.DataFrame) -> None:
    mean = demo.groupby("event_type")["fatalities"].mean()
    assert (demo["fatalities"] >= 0).all()
    assert 0.15 < (demo["fatalities"] == 0).mean() < 0.7
    assert (demo.loc[demo["event_type"] == "strategic_development", "fatalities"] == 0).all()
    assert mean["battle"] > mean["abduction"]


def test_civilian_targeting_marks_attacks_on_civilians(demo: pd.DataFrame) -> None:
    on_civilians = demo["event_type"].isin(["violence_against_civilians", "abduction"])
    assert demo.loc[on_civilians, "civilian_targeting"].all()
    assert not demo.loc[demo["event_type"] == "battle", "civilian_targeting"].any()


def test_precisions_are_mostly_exact(demo: pd.DataFrame) -> None:
    assert (demo["geo_precision"] == 1).mean() > 0.6
    assert (demo["date_precision"] == "day").mean() > 0.8
    assert set(demo["geo_precision"]) == {1, 2, 3}


def test_load_demo_is_idempotent(store: IncidentStore) -> None:
    first = load_demo(store, n=300)
    second = load_demo(store, n=300)
    assert first == DemoLoadResult(demo_added=300, ucdp_added=19)
    assert second == DemoLoadResult(demo_added=0, ucdp_added=0)
    batches = store.list_batches()
    assert sorted(batches["format"]) == ["demo", "ucdp"]
    assert store.count_incidents("demo") == 300
    assert store.count_incidents("ucdp") == 19


def test_load_demo_adds_only_missing_rows(store: IncidentStore) -> None:
    load_demo(store, n=200)
    grown = load_demo(store, n=250)
    assert grown == DemoLoadResult(demo_added=50, ucdp_added=0)


def test_ensure_demo_loaded_only_fills_an_empty_store(store: IncidentStore) -> None:
    assert ensure_demo_loaded(store, n=100) is True
    assert store.count_incidents() == 119
    assert ensure_demo_loaded(store, n=100) is False
    assert len(store.list_batches()) == 2


def test_demo_is_not_reloaded_after_the_user_undid_it(store: IncidentStore) -> None:
    assert ensure_demo_loaded(store, n=50) is True
    for batch_id in store.list_batches()["batch_id"]:
        store.undo_batch(batch_id)
    assert store.count_incidents() == 0
    assert ensure_demo_loaded(store, n=50) is False
    assert store.count_incidents() == 0
