"""The outlook engine on synthetic processes with known true rates (tests/unit/outlook_synthetic.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from incidents.errors import OutlookDataError
from incidents.outlook.backtest import summary
from incidents.outlook.forecast import OUTLOOK_COLUMNS, build_outlook, gate_backtest
from incidents.outlook.models import COUNT_BASELINES, FATAL_BASELINES, MODELS
from incidents.outlook.panel import Panel
from tests.unit.outlook_synthetic import synthetic_panel

#: Origins of the gate's backtest in these tests (the CLI uses 24): enough to tell signal from none.
GATE_ORIGINS = 12
BASELINES = set(COUNT_BASELINES) | set(FATAL_BASELINES)


def served_sources(served_by: pd.Series) -> set[str]:
    """Every model or baseline named in ``served_by`` ("M2 (p_fatal: base_rate)" names two)."""
    names = set()
    for label in served_by.unique():
        names |= set(str(label).replace("(p_fatal:", " ").replace(")", " ").split())
    return names


def test_served_outlook_matches_the_true_rates_of_a_process_with_signal() -> None:
    truth = synthetic_panel(seed=0)
    months = len(truth.panel.months)
    errors, covered = [], []
    for origin in (months - 7, months - 4):  # the three months after each origin are held out
        table = build_outlook(truth.panel, origin, gate_origins=GATE_ORIGINS)
        assert tuple(table.columns) == OUTLOOK_COLUMNS
        units = np.tile(np.arange(len(truth.panel.units)), 3)
        target = origin + table["horizon"].to_numpy()
        observed = truth.panel.counts[units, target]
        errors.append(np.abs(table["p_fatal"].to_numpy() - truth.true_p_fatal(units, target)))
        covered.append((table["count_q05"] <= observed) & (observed <= table["count_q95"]))
    assert served_sources(table["served_by"]) & set(MODELS)  # the signal is there to find
    assert np.concatenate(errors).mean() <= 0.10
    assert 0.85 <= np.concatenate(covered).mean() <= 0.95


def test_with_no_signal_the_gate_serves_baselines() -> None:
    truth = synthetic_panel(seed=0, signal=False)
    table = build_outlook(truth.panel, len(truth.panel.months) - 4, gate_origins=GATE_ORIGINS)
    assert served_sources(table["served_by"]) <= BASELINES


def test_quantiles_are_ordered_and_probabilities_bounded() -> None:
    table = build_outlook(synthetic_panel(seed=1, units=40, months=30).panel, 29, gate_origins=4)
    quantiles = table[["count_q05", "count_q25", "count_q50", "count_q75", "count_q95"]].to_numpy()
    assert (np.diff(quantiles, axis=1) >= 0).all()
    assert table["p_fatal"].between(0, 1).all() and table["p_surge"].between(0, 1).all()
    assert list(table["month"].unique()) == ["2022-07", "2022-08", "2022-09"]
    assert set(table["origin"]) == {"2022-06"}


def test_nothing_after_the_origin_changes_the_outlook() -> None:
    panel = synthetic_panel(seed=2, units=40, months=34).panel
    origin = 29
    changed_counts = panel.counts.copy()
    changed_counts[:, origin + 1 :] *= 5
    changed = Panel(panel.level, panel.units, panel.months, changed_counts, panel.fatal * 0)
    changed.fatal[:, : origin + 1] = panel.fatal[:, : origin + 1]
    pd.testing.assert_frame_equal(
        build_outlook(panel, origin, gate_origins=4), build_outlook(changed, origin, gate_origins=4)
    )


def test_six_months_of_data_is_refused() -> None:
    panel = synthetic_panel(seed=3, units=40, months=6).panel
    with pytest.raises(OutlookDataError, match=r"not enough history: 6 month\(s\).*at least 24"):
        build_outlook(panel, 5)


def test_too_few_units_with_incidents_is_refused() -> None:
    panel = synthetic_panel(seed=3, units=40, months=30).panel
    panel.counts[12:] = 0  # 12 units with incidents left
    with pytest.raises(OutlookDataError, match="too few units with incidents: 12 admin1 unit"):
        build_outlook(panel, 29)


def test_backtest_summary_scores_every_forecaster_with_skills_and_reliability() -> None:
    document = summary(gate_backtest(synthetic_panel(seed=4, units=40, months=30).panel, 29, 4), "admin1")
    assert document["origins"] == ["2022-02", "2022-03", "2022-04", "2022-05"]  # the 4 before 2022-06
    rows = pd.DataFrame(document["scores"])
    assert set(rows["forecaster"]) == {*MODELS, *FATAL_BASELINES, "served"}
    assert set(rows["horizon"]) == {1, 2, 3}
    # The zero forecast's CRPS is the mean count itself: every skill against it is positive here.
    active = rows[(rows["tier"] == "active") & rows["forecaster"].isin(MODELS)]
    assert all(skill["zero"] > 0 for skill in active["crps_skill"])
    assert rows.loc[rows["forecaster"] == "base_rate", "crps"].isna().all()
    assert {row["tier"] for row in document["gate"]} == {"active", "quiet"}
    assert all(0 <= row["observed"] <= 1 for row in document["reliability"])
