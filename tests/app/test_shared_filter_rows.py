"""The filtered rows every session reads (dashboard/ui/caching.py ``filtered_rows``): computed once
per filter and store version for all sessions, yet each caller's copy is its own, and an import
is seen at once."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest

from dashboard.ui import caching
from incidents.demo import generate_demo_incidents
from incidents.query import IncidentFilter
from incidents.selection import apply_filter
from incidents.store import BatchMeta, IncidentStore

EVERY_DAY = {"preset": "custom", "since": date(2000, 1, 1), "until": date(2030, 12, 31)}
FILTER = IncidentFilter(countries=("MLI", "BFA"), **EVERY_DAY)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[IncidentFilter]:
    """The filters the shared cache actually computed."""
    calls: list[IncidentFilter] = []

    def counting(frame: pd.DataFrame, chosen: IncidentFilter, corridors: Any = None) -> Any:
        calls.append(chosen)
        return apply_filter(frame, chosen, corridors)

    monkeypatch.setattr(caching, "apply_filter", counting)
    return calls


def test_one_computation_serves_every_caller_with_its_own_copy(
    app_db_url: str, app_store: IncidentStore, counted: list[IncidentFilter]
) -> None:
    version = app_store.data_version()
    first, first_previous = caching.filtered_rows(app_db_url, version, FILTER)
    second, _ = caching.filtered_rows(app_db_url, version, FILTER)
    assert len(counted) == 1  # the second session was served from the shared entry
    assert first is not second and len(first) > 1000
    pd.testing.assert_frame_equal(first, second)

    # The same rows as filtering the analysis frame directly.
    want, want_previous = apply_filter(
        caching.analysis_frame(app_db_url, version), FILTER, caching.active_corridors(app_db_url, version)
    )
    pd.testing.assert_frame_equal(first, want)
    pd.testing.assert_frame_equal(first_previous, want_previous)

    # A page that changes its frame in place changes nobody else's.
    untouched = second.copy()
    first.loc[first.index[0], "fatalities"] = 10**6
    first["scratch"] = 1
    third, _ = caching.filtered_rows(app_db_url, version, FILTER)
    pd.testing.assert_frame_equal(third, untouched)
    pd.testing.assert_frame_equal(second, untouched)

    # Another filter is its own entry.
    caching.filtered_rows(app_db_url, version, IncidentFilter(countries=("NER",), **EVERY_DAY))
    assert len(counted) == 2


def test_an_import_is_seen_at_the_next_call(
    app_db_url: str, app_store: IncidentStore, counted: list[IncidentFilter]
) -> None:
    before, _ = caching.filtered_rows(app_db_url, app_store.data_version(), FILTER)
    new = generate_demo_incidents(n=40, seed=99)
    new["source_dataset"] = "demo"
    new["source_event_id"] = [f"shared-{i}" for i in range(len(new))]
    new["incident_id"] = "demo:" + new["source_event_id"]
    new["country_iso3"] = "MLI"
    app_store.add_batch(new, BatchMeta("more.csv", "5" * 64, "demo"))
    after, _ = caching.filtered_rows(app_db_url, app_store.data_version(), FILTER)
    assert len(counted) == 2
    assert len(after) == len(before) + 40
