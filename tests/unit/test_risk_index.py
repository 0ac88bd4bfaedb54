"""The conflict index: the worked example of docs/methodology.md, scaling, levels and properties."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.risk.index import (
    INDEX_COLUMNS,
    RISK_LEVEL_LABELS,
    RiskConfig,
    compute_risk_index,
    linear_score,
    log_score,
    populated_cells,
    risk_levels,
)
from incidents.risk.units import unit_membership, unit_names
from tests.unit.risk_fixtures import AS_OF, UNITS, incidents, reference_cells, worked_example

METHODOLOGY = Path(__file__).resolve().parents[2] / "docs" / "methodology.md"

#: The worked example's table, exactly as docs/methodology.md prints it.
EXPECTED = pd.DataFrame(
    {
        "unit_code": ["ML.MO.DZ", "BF-SOM", "ML.GA.AN"],
        "events": [12, 4, 1],
        "fatalities": [99, 9, 0],
        "civilian_events": [9, 0, 1],
        "armed_groups": [3, 1, 1],
        "diffusion": [0.2, 0.2, 0.0],
        "deadliness_score": [0.666667, 0.333333, 0.0],
        "danger_score": [0.5, 0.0, 0.150515],
        "diffusion_score": [0.8, 0.8, 0.0],
        "fragmentation_score": [0.375, 0.125, 0.125],
        "index": [0.585417, 0.314583, 0.068879],
        "risk_level": [4, 3, 1],
    }
)


def _example_index() -> pd.DataFrame:
    frame, cells = worked_example()
    return compute_risk_index(frame, level="admin2", as_of=AS_OF, reference_cells=cells)


def test_worked_example_reproduces_exactly() -> None:
    result = _example_index().set_index("unit_code").loc[EXPECTED["unit_code"]].reset_index()
    pd.testing.assert_frame_equal(
        result[list(EXPECTED.columns)].reset_index(drop=True), EXPECTED, check_dtype=False, atol=0, rtol=0
    )


def test_worked_example_table_in_methodology_matches() -> None:
    """The doc's table is the test's table: every expected row appears there verbatim."""
    text = METHODOLOGY.read_text(encoding="utf-8")
    for row in EXPECTED.itertuples(index=False):
        cells = [
            row.unit_code,
            str(row.events),
            str(row.fatalities),
            str(row.civilian_events),
            str(row.armed_groups),
            f"{row.diffusion:g}",
            f"{row.deadliness_score:g}",
            f"{row.danger_score:g}",
            f"{row.diffusion_score:g}",
            f"{row.fragmentation_score:g}",
            f"{row.index:g}",
            str(row.risk_level),
        ]
        pattern = r"\|\s*" + r"\s*\|\s*".join(re.escape(c) for c in cells) + r"\s*\|"
        assert re.search(pattern, text), f"row {cells} not found in docs/methodology.md"


def test_every_unit_gets_a_row_and_empty_units_are_level_1() -> None:
    result = _example_index()
    assert list(result.columns) == list(INDEX_COLUMNS)
    assert len(result) == len(unit_names("admin2"))
    assert result["unit_code"].is_unique
    empty = result[~result["unit_code"].isin(EXPECTED["unit_code"])]
    assert (empty["events"] == 0).all() and (empty["index"] == 0).all() and (empty["risk_level"] == 1).all()


def test_window_edges_are_inclusive_of_the_first_day_only_back_to_365_days() -> None:
    frame = incidents([{"unit": "BF-SOM", "days_before": 364}, {"unit": "BF-SOM", "days_before": 365}])
    result = compute_risk_index(frame, level="admin2", as_of=AS_OF).set_index("unit_code")
    assert result.loc["BF-SOM", "events"] == 1
    later = compute_risk_index(frame, level="admin2", as_of=AS_OF - timedelta(days=1)).set_index("unit_code")
    assert later.loc["BF-SOM", "events"] == 2
    short = compute_risk_index(frame, level="admin2", as_of=AS_OF, config=RiskConfig(window_days=30))
    assert short.set_index("unit_code").loc["BF-SOM", "events"] == 0


def test_level_thresholds_belong_to_the_higher_level() -> None:
    index = [0.0, 0.099999, 0.1, 0.249999, 0.25, 0.449999, 0.45, 0.649999, 0.65, 1.0]
    assert risk_levels(index).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert RISK_LEVEL_LABELS == {1: "Low", 2: "Moderate", 3: "High", 4: "Very high", 5: "Extreme"}


def test_scores_use_fixed_caps() -> None:
    np.testing.assert_allclose(log_score([0, 9, 99, 999, 5000], 999.0), [0, 1 / 3, 2 / 3, 1, 1])
    np.testing.assert_allclose(linear_score([0, 0.125, 0.25, 0.9], 0.25), [0, 0.5, 1, 1])


def test_country_filter_does_not_change_a_units_level() -> None:
    frame, cells = worked_example()
    full = compute_risk_index(frame, level="admin2", as_of=AS_OF, reference_cells=cells).set_index(
        "unit_code"
    )
    mali = frame[frame["country_iso3"] == "MLI"]
    only_mali = compute_risk_index(mali, level="admin2", as_of=AS_OF, reference_cells=cells).set_index(
        "unit_code"
    )
    mali_units = [code for code, spec in UNITS.items() if spec[3] == "MLI"]
    pd.testing.assert_frame_equal(full.loc[mali_units], only_mali.loc[mali_units])


def test_admin1_and_corridor_levels() -> None:
    frame, _ = worked_example()
    admin1 = compute_risk_index(frame, level="admin1", as_of=AS_OF).set_index("unit_code")
    assert len(admin1) == len(unit_names("admin1"))
    assert admin1.loc["ML-5", "events"] == 12 and admin1.loc["ML-5", "fatalities"] == 99
    corridor = compute_risk_index(frame, level="corridor", as_of=AS_OF, corridor_km=50.0)
    assert list(corridor["unit_code"]) == list(unit_names("corridor")["unit_code"])
    assert (corridor["risk_level"].between(1, 5)).all()


def test_membership_is_one_to_one_for_admin_levels_and_may_repeat_for_corridors() -> None:
    frame, _ = worked_example()
    admin = unit_membership(frame, "admin2")
    assert admin["row"].is_unique and len(admin) == len(frame)
    corridors = unit_membership(frame, "corridor", corridor_km=200.0)
    assert corridors["row"].duplicated().any()  # a wide buffer puts Douentza in several corridors
    with pytest.raises(ValueError, match="'county'"):
        unit_membership(frame, "county")  # type: ignore[arg-type]


def test_populated_cells_come_from_the_gazetteer() -> None:
    cells = populated_cells("admin2")
    per_unit = cells.groupby("unit_code").size()
    assert per_unit.get("ML.MO.DZ", 0) > 10  # Douentza has many villages
    assert not cells.duplicated().any()


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="window_days"):
        RiskConfig(window_days=0)
    with pytest.raises(ValueError, match="weights"):
        RiskConfig(weights=(0.5, 0.5, 0.5, 0.5))


# ---- properties ------------------------------------------------------------------------

_UNIT_CODES = list(UNITS)
_event = st.fixed_dictionaries(
    {
        "unit": st.sampled_from(_UNIT_CODES),
        "days_before": st.integers(0, 400),
        "cell": st.integers(0, 5),
        "fatalities": st.integers(0, 300),
        "civilian": st.booleans(),
        "actor1": st.sampled_from(
            ["JNIM", "Islamic State Sahel", "Dan Na Ambassagou", "Military Forces of Mali (2021-)"]
        ),
        "actor2": st.sampled_from([None, "Civilians (Mali)", "Katiba Macina", "CSP-PSD"]),
    }
)
_CELLS = reference_cells(dict.fromkeys(_UNIT_CODES, 4))
_PROPERTY_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_PROPERTY_SETTINGS
@given(events=st.lists(_event, max_size=30), extra=_event, fatal=st.integers(1, 500))
def test_adding_a_fatal_event_never_lowers_deadliness_or_index(
    events: list[dict[str, object]], extra: dict[str, object], fatal: int
) -> None:
    added = {**extra, "days_before": int(extra["days_before"]) % 365, "fatalities": fatal}  # type: ignore[call-overload]
    before = compute_risk_index(incidents(events), level="admin2", as_of=AS_OF, reference_cells=_CELLS)
    after = compute_risk_index(
        incidents([*events, added]), level="admin2", as_of=AS_OF, reference_cells=_CELLS
    )
    unit = str(added["unit"])
    b, a = before.set_index("unit_code").loc[unit], after.set_index("unit_code").loc[unit]
    assert a["fatalities"] == b["fatalities"] + fatal
    assert a["deadliness_score"] >= b["deadliness_score"]
    assert a["index"] >= b["index"]
    assert a["risk_level"] >= b["risk_level"]


@_PROPERTY_SETTINGS
@given(events=st.lists(_event, min_size=1, max_size=30), unit=st.sampled_from(_UNIT_CODES))
def test_removing_all_events_of_a_unit_gives_level_1(events: list[dict[str, object]], unit: str) -> None:
    kept = [event for event in events if event["unit"] != unit]
    result = compute_risk_index(incidents(kept), level="admin2", as_of=AS_OF, reference_cells=_CELLS)
    row = result.set_index("unit_code").loc[unit]
    assert row["events"] == 0 and row["index"] == 0 and row["risk_level"] == 1
