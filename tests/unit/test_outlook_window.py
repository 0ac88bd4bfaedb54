"""The 3-month window probability, the backtest's word hit rates and the served outlook's sentences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from incidents.errors import OutlookDataError
from incidents.outlook.backtest import covered, summary, window_scores, word_hits
from incidents.outlook.distributions import EnsembleForecast, NegBinForecast, at_least_once
from incidents.outlook.forecast import (
    WINDOW_COLUMNS,
    ServedOutlook,
    build_outlook,
    served_outlook,
    window_from_table,
    window_outlook,
)
from incidents.outlook.wording import ICD203_WORDS
from tests.unit.outlook_synthetic import Synthetic, synthetic_panel

GATE_ORIGINS = 12


@pytest.fixture(scope="module")
def truth() -> Synthetic:
    return synthetic_panel(seed=0)


@pytest.fixture(scope="module")
def served(truth: Synthetic) -> ServedOutlook:
    return served_outlook(truth.panel, len(truth.panel.months) - 4, gate_origins=GATE_ORIGINS)


def test_months_combine_as_independent_chances() -> None:
    p = at_least_once([[0.5, 0.5, 0.5], [0.0, 0.0, 0.0], [1.0, 0.2, 0.3], [0.1, 0.0, 0.0]])
    assert p.tolist() == pytest.approx([0.875, 0.0, 1.0, 0.1])


def test_window_scores_need_all_three_months_and_score_with_brier() -> None:
    rows = [
        # origin 0: all three horizons known; a fatal incident in the second month only
        *({"origin": 0, "horizon": h, "p_fatal": 0.5, "fatal_happened": float(h == 2)} for h in (1, 2, 3)),
        # origin 1: the third month not known yet: no window
        *({"origin": 1, "horizon": h, "p_fatal": 0.5, "fatal_happened": 0.0} for h in (1, 2)),
    ]
    scores = pd.DataFrame(rows).assign(unit=0, forecaster="served", tier="active")
    windows = window_scores(scores)
    assert windows["origin"].tolist() == [0]
    assert windows["p_fatal"].tolist() == pytest.approx([0.875])
    assert windows["fatal_happened"].tolist() == [1.0]
    assert windows["brier"].tolist() == pytest.approx([0.125**2])


def test_the_window_is_the_served_months_combined(truth: Synthetic, served: ServedOutlook) -> None:
    table, window = served.table, served.window
    assert tuple(window.columns) == WINDOW_COLUMNS and len(window) == len(truth.panel.units)
    monthly = table.pivot(index="unit_code", columns="horizon", values="p_fatal").loc[window["unit_code"]]
    expected = 1.0 - np.prod(1.0 - monthly.to_numpy(), axis=1)
    assert window["p_fatal_window"].to_numpy() == pytest.approx(expected, abs=0.003)  # monthly are rounded
    assert (window["p_fatal_window"].to_numpy() >= monthly.max(axis=1).to_numpy() - 1e-9).all()
    months = len(truth.panel.months)
    assert set(window["first_month"]) == {str(truth.panel.months[months - 3])}
    assert set(window["last_month"]) == {str(truth.panel.months[months - 1])}


def test_served_outlook_table_is_build_outlook(truth: Synthetic, served: ServedOutlook) -> None:
    origin = len(truth.panel.months) - 4
    pd.testing.assert_frame_equal(served.table, build_outlook(truth.panel, origin, gate_origins=GATE_ORIGINS))


def test_window_probability_matches_the_true_one(truth: Synthetic, served: ServedOutlook) -> None:
    # Counts are Poisson given the rates, so the months are independent here and the true window
    # probability is 1 - exp(-(fatal rate over the three months)).
    origin = len(truth.panel.months) - 4
    true_window = 1.0 - np.exp(-truth.fatal_rate[:, origin + 1 : origin + 4].sum(axis=1))
    assert np.abs(served.window["p_fatal_window"].to_numpy() - true_window).mean() <= 0.10


def test_the_window_from_a_cached_table_is_the_served_one(served: ServedOutlook) -> None:
    again = window_from_table(served.table)
    assert tuple(again.columns) == WINDOW_COLUMNS
    pd.testing.assert_frame_equal(
        again.drop(columns=["p_fatal_window", "likelihood"]),
        served.window.drop(columns=["p_fatal_window", "likelihood"]),
    )
    assert again["p_fatal_window"].to_numpy() == pytest.approx(
        served.window["p_fatal_window"].to_numpy(), abs=0.003
    )


def test_the_window_refuses_a_partial_set_of_months(truth: Synthetic, served: ServedOutlook) -> None:
    with pytest.raises(OutlookDataError, match="horizons 1-3"):
        window_outlook(truth.panel, 50, np.zeros((len(truth.panel.units), 2)))
    with pytest.raises(OutlookDataError, match="horizons 1-3"):
        window_from_table(served.table[served.table["horizon"] < 3])


def test_hit_rates_cover_every_word_and_agree_with_the_backtest(served: ServedOutlook) -> None:
    assert tuple(served.hits) == ICD203_WORDS
    said = [hits for hits in served.hits.values() if hits.unit_months]
    assert said and all(0.0 <= (hits.came_true or 0.0) <= 1.0 for hits in said)
    document = summary(served.backtest, "admin1")
    record = {row["likelihood"]: row for row in document["likelihood_words"]}
    for word, hits in served.hits.items():
        assert (record[word]["unit_months"], record[word]["came_true"]) == (hits.unit_months, hits.came_true)
        assert record[word]["sentence"] == hits.sentence
    never = [row for row in document["likelihood_words"] if row["unit_months"] == 0]
    assert all(row["came_true"] is None and "never said" in row["sentence"] for row in never)
    assert word_hits(served.backtest, window=True) == served.window_hits


def test_backtest_summary_scores_the_window_with_brier(served: ServedOutlook) -> None:
    document = summary(served.backtest, "admin1")
    rows = pd.DataFrame(document["window"])
    assert {"served", "M1", "base_rate"} <= set(rows["forecaster"])
    assert set(rows["tier"]) >= {"all", "active"}
    everyone = rows[rows["tier"] == "all"].set_index("forecaster")
    # 12 gate origins, the last 2 lack their third month: 10 windows per unit.
    assert set(everyone["unit_windows"]) == {10 * 60}
    assert everyone["brier"].between(0, 1).all()
    # "zero" says 0 where these busy units nearly always see a fatal incident: far worse.
    assert everyone.loc["served", "brier"] < everyone.loc["zero", "brier"]
    assert len(document["window_likelihood_words"]) == len(ICD203_WORDS)


def test_sentences_of_a_unit(served: ServedOutlook) -> None:
    row = served.table[(served.table["unit_code"] == "U03") & (served.table["horizon"] == 1)].iloc[0]
    sentence = served.sentence("U03", 1)
    word = str(row["likelihood"])
    assert sentence.startswith(f"{word.capitalize()} (")
    assert (
        f"at least one fatal incident in Unit 3 in {pd.Period(row['month']).strftime('%B %Y')}." in sentence
    )
    assert f"Expected {row['count_q05']}–{row['count_q95']} incidents (90 % range)." in sentence
    assert served.hits[word].sentence in sentence
    window = served.window_sentence("U03")
    assert (
        " between " in window
        and served.window_hits[str(served.window.iloc[3]["likelihood"])].sentence in window
    )
    with pytest.raises(OutlookDataError, match="no outlook for unit 'nope'"):
        served.sentence("nope", 1)


@pytest.mark.parametrize(
    "forecast",
    [
        NegBinForecast(np.array([0.3, 4.0, 12.0, 250.0, 3000.0]), np.array([0.5, np.inf, 2.0, np.inf, 40.0])),
        EnsembleForecast(
            np.array([[0, 0, 1, 3], [2, 2, 2, 2], [5, 1, 9, 0], [0, 0, 0, 0], [7, 8, 8, 9]], dtype=float)
        ),
    ],
)
def test_coverage_from_the_cdf_equals_coverage_from_the_quantiles(
    forecast: NegBinForecast | EnsembleForecast,
) -> None:
    q = forecast.quantiles()
    for observed in np.arange(0, 3200, 7, dtype=np.float64)[:, None] + np.zeros((1, 5)):
        cover50, cover90 = covered(forecast, observed)
        assert cover50.tolist() == ((q[:, 1] <= observed) & (observed <= q[:, 3])).astype(float).tolist()
        assert cover90.tolist() == ((q[:, 0] <= observed) & (observed <= q[:, 4])).astype(float).tolist()
