"""ICD 203 words for p_fatal, and the count distributions' answers, on values worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from incidents.outlook.distributions import EnsembleForecast, NegBinForecast, poisson_forecast
from incidents.outlook.models import surge_threshold
from incidents.outlook.wording import (
    expected_text,
    hit_rate_sentence,
    likelihood_word,
    likelihood_words,
    month_text,
    outlook_sentence,
    percent,
    window_text,
)


@pytest.mark.parametrize(
    ("probability", "word"),
    [
        (0.0, "almost no chance"),
        (0.049, "almost no chance"),
        (0.05, "very unlikely"),
        (0.1 + 0.1, "unlikely"),  # 0.2 in floating point sits on its edge and takes the higher class
        (0.45, "roughly even chance"),
        (0.549, "roughly even chance"),
        (0.55, "likely"),
        (0.8, "very likely"),
        (0.95, "almost certain"),
        (1.0, "almost certain"),
    ],
)
def test_icd203_words_and_their_edges(probability: float, word: str) -> None:
    assert likelihood_word(probability) == word


def test_words_clip_values_outside_zero_to_one() -> None:
    assert list(likelihood_words([-0.1, 1.2])) == ["almost no chance", "almost certain"]


def test_poisson_quantiles_and_tail_match_scipy() -> None:
    forecast = poisson_forecast(np.array([4.0]))
    assert forecast.quantiles((0.05, 0.5, 0.95)).tolist() == [[1.0, 4.0, 8.0]]
    assert forecast.prob_at_least(np.array([6.0]))[0] == pytest.approx(stats.poisson.sf(5, 4.0))


def test_negative_binomial_has_the_variance_of_its_size() -> None:
    forecast = NegBinForecast(np.array([10.0]), np.array([2.0]))
    levels = tuple(np.linspace(0.0005, 0.9995, 2000))
    draws = forecast.quantiles(levels)[0]
    assert draws.mean() == pytest.approx(10.0, rel=0.05)
    assert draws.var() == pytest.approx(10.0 + 10.0**2 / 2.0, rel=0.1)


def test_crps_of_the_zero_forecast_is_the_count() -> None:
    assert EnsembleForecast(np.zeros((2, 1))).crps(np.array([0.0, 3.0])).tolist() == [0.0, 3.0]


def test_huge_counts_still_get_a_finite_crps() -> None:
    score = NegBinForecast(np.array([5000.0]), np.array([50.0])).crps(np.array([4000.0]))
    assert np.isfinite(score).all() and score[0] > 0


def test_surge_threshold_is_twice_the_four_month_mean_where_it_is_at_least_one() -> None:
    counts = np.array([[9.0, 2, 2, 3, 1], [0, 0, 1, 1, 1]])  # means 2 and 0.75 over the last 4 months
    assert surge_threshold(counts, origin=4).tolist() == [4.0, np.inf]


def test_the_outlook_sentence_of_one_unit() -> None:
    sentence = outlook_sentence(
        "Douentza", "in January 2027", 0.62, count_range=(3, 11), came_true=0.64, unit_months=412
    )
    assert sentence == (
        "Likely (62 %): at least one fatal incident in Douentza in January 2027. "
        "Expected 3–11 incidents (90 % range). In the backtest, 'likely' came true 64 % of the time "
        "(412 forecasts)."
    )


def test_a_word_the_backtest_never_said_has_no_made_up_rate() -> None:
    sentence = outlook_sentence("Ménaka", window_text("2026-12", "2027-02"), 0.97)
    assert sentence.startswith("Almost certain (97 %): at least one fatal incident in Ménaka between ")
    assert "between December 2026 and February 2027." in sentence
    assert sentence.endswith(
        "In the backtest, 'almost certain' was never said, so how often it comes true is not known."
    )
    assert "Expected" not in sentence


def test_percentages_never_round_to_an_impossible_zero_or_hundred() -> None:
    texts = {0.0: "< 1 %", 0.004: "< 1 %", 0.005: "1 %", 0.625: "63 %", 0.996: "> 99 %", 1.0: "> 99 %"}
    assert {probability: percent(probability) for probability in texts} == texts


def test_months_windows_and_count_ranges_in_words() -> None:
    assert month_text("2027-01") == "January 2027"
    assert window_text("2027-01", "2027-03") == "between January and March 2027"
    assert window_text("2027-01", "2027-01") == "in January 2027"
    assert expected_text(1, 1) == "Expected 1 incident (90 % range)."
    assert expected_text(0, 4) == "Expected 0–4 incidents (90 % range)."
    assert (
        hit_rate_sentence("unlikely", 0.3, 1)
        == "In the backtest, 'unlikely' came true 30 % of the time (1 forecast)."
    )


@pytest.mark.parametrize("levels", [(0.05, 0.25, 0.5, 0.75, 0.95), tuple((np.arange(400) + 0.5) / 400)])
def test_quantiles_are_scipys_discrete_ppf(levels: tuple[float, ...]) -> None:
    # Bisection (few levels) and the cdf grid (many, the CRPS fallback) against scipy.stats' ppf,
    # over means from nearly 0 to thousands, Poisson and negative binomials of every dispersion.
    rng = np.random.default_rng(7)
    mean = np.exp(rng.uniform(-6, 8.5, 60))
    size = np.where(rng.random(60) < 0.3, np.inf, np.exp(rng.uniform(-3, 6, 60)))
    q = np.asarray(levels)[None, :]
    poisson = size >= 200
    n = np.where(poisson, 1.0, size)  # the Poisson rows' negative binomial is not used
    p = n / (n + mean)
    expected = np.where(
        poisson[:, None], stats.poisson.ppf(q, mean[:, None]), stats.nbinom.ppf(q, n[:, None], p[:, None])
    )
    assert NegBinForecast(mean, size).quantiles(levels).tolist() == expected.tolist()


def test_rounded_probabilities_never_read_as_certain_or_impossible() -> None:
    from incidents.outlook.forecast import rounded_probability

    assert rounded_probability([0.9996, 1.0, 0.0, 0.0004, 0.6234]).tolist() == [0.999, 1.0, 0.0, 0.001, 0.623]
    assert percent(float(rounded_probability([0.9996])[0])) == "> 99 %"


def test_a_word_that_always_came_true_says_100_percent_of_the_time() -> None:
    assert "came true 100 % of the time (12 forecasts)" in hit_rate_sentence("almost certain", 1.0, 12)
    assert "came true 0 % of the time" in hit_rate_sentence("almost no chance", 0.0, 40)
    assert "came true > 99 %" in hit_rate_sentence("almost certain", 0.998, 603)
