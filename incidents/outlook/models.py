"""The outlook's models (M1, M2, M3) and the naive baselines they must beat, at one origin.

Every function reads ``counts[:, : origin + 1]`` and ``fatal[:, : origin + 1]`` only. Each
forecaster gives, per unit and horizon, a count distribution (quantiles, surge probability,
CRPS) and ``p_fatal``, the probability of at least one incident with fatalities. The models
get ``p_fatal`` by thinning their count distribution: fatal incidents ~ NB(mean x share, size),
where share is the unit's share of incidents with fatalities over the last 24 months, shrunk
towards the level's share by 10 pseudo-incidents. Fatal incidents are too few to carry a
model of their own (fitted on the fatal counts alone, p_fatal was off by 0.12 on average on
the synthetic test processes); thinning lends them the count model's signal.

* M1: negative binomial per unit; mean = exponentially weighted mean of the last 12 months
  (half-life 3); units quiet for 12 months get their tier's observed rate; size (dispersion)
  pooled within the activity tier by the method of moments on M1's forecasts of past months.
* M2: one pooled ``HistGradientBoostingRegressor`` (Poisson loss) per horizon on the
  history features of :mod:`incidents.outlook.features` and the target's month of year; a
  negative binomial around its mean, size pooled per tier by the method of moments on its
  fitted past months (M1's sizes would be too wide where M2 explains more).
* M3: the mean of M1's and M2's means; size likewise from its own past.
* Baselines: ``zero``; ``last`` (last month's count with Poisson noise); ``climatology`` (the
  unit's last 12 months, resampled); for ``p_fatal`` also ``base_rate`` (share of all months
  up to the origin with a fatal incident).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import ThreadpoolController

from incidents.outlook.distributions import (
    CountForecast,
    EnsembleForecast,
    FloatArray,
    NegBinForecast,
    poisson_forecast,
)
from incidents.outlook.features import WINDOW_MONTHS, ewma, feature_tensor
from incidents.risk.trends import SURGE_FACTOR, SURGE_MIN_AVG

MODELS: Final = ("M1", "M2", "M3")
COUNT_BASELINES: Final = ("zero", "last", "climatology")
FATAL_BASELINES: Final = (*COUNT_BASELINES, "base_rate")
HORIZONS: Final = (1, 2, 3)
TIERS: Final = ("active", "quiet")
#: First month (0-based) that gives M2 a training row: its lags 1-6 exist.
FIRST_TRAINING_MONTH: Final = 5
#: Months a monthly surge compares with: the monthly analogue of the risk page's 4 weeks.
SURGE_BASE_MONTHS: Final = 4
#: Months of the fatal share behind the models' p_fatal, and its pseudo-incidents of shrinkage.
SHARE_MONTHS: Final = 24
SHARE_PRIOR: Final = 10.0
#: Smallest size (largest dispersion) a tier may get; guards against a few wild months.
MIN_SIZE: Final = 0.05
#: Finds the process's thread pools once: every ``threadpool_limits()`` call would scan the
#: loaded libraries again (a quarter of a second each on a busy machine, 100 calls a backtest).
_THREADPOOLS: Final = ThreadpoolController()
_BOOSTING: Final = {
    "loss": "poisson",
    "max_iter": 60,
    "max_bins": 64,
    "learning_rate": 0.1,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": 0,
}


@dataclass
class PanelHistory:
    """The panel's matrices with their history features, computed once and sliced per origin."""

    counts: FloatArray
    fatal: FloatArray
    month_of_year: npt.NDArray[np.int64]  # calendar month (1-12) of each column, 3 months past the end
    features: FloatArray = field(init=False)
    ewma_counts: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        self.features = feature_tensor(self.counts, self.fatal)
        self.ewma_counts = ewma(self.counts)

    @classmethod
    def of(cls, counts: FloatArray, fatal: FloatArray, months: pd.PeriodIndex) -> PanelHistory:
        """From a panel's matrices and its months."""
        extended = pd.period_range(months[0], periods=len(months) + max(HORIZONS), freq="M")
        return cls(counts, fatal, np.asarray(extended.month, dtype=np.int64))


@dataclass(frozen=True)
class OriginForecasts:
    """Every forecaster's output at one origin: ``counts[(name, h)]`` and ``p_fatal[(name, h)]``."""

    origin: int
    active: npt.NDArray[np.bool_]  # units with an incident in the 12 months up to the origin
    surge_threshold: FloatArray  # smallest count that is a surge (inf: no surge possible)
    counts: dict[tuple[str, int], CountForecast]
    p_fatal: dict[tuple[str, int], FloatArray]


def active_units(counts: FloatArray, origin: int) -> npt.NDArray[np.bool_]:
    """The activity tier: any incident in the 12 months up to and including the origin."""
    start = max(0, origin - WINDOW_MONTHS + 1)
    return np.asarray(counts[:, start : origin + 1].sum(axis=1) > 0, dtype=bool)


def surge_threshold(counts: FloatArray, origin: int) -> FloatArray:
    """Smallest monthly count that is a surge: >= 2 x the mean of the 4 months up to the origin,
    where that mean is >= 1 (the risk page's weekly rule, by months); inf elsewhere."""
    base = counts[:, max(0, origin - SURGE_BASE_MONTHS + 1) : origin + 1].mean(axis=1)
    return np.where(base >= SURGE_MIN_AVG, np.ceil(SURGE_FACTOR * base - 1e-9), np.inf)


@dataclass(frozen=True)
class _PastForecasts:
    """M1's forecasts of the past, the ground every size is estimated on.

    ``months``: each past month ``t`` with ``12 <= t + 1`` and ``t + horizon <= origin``;
    ``m1``, ``observed`` and ``active`` are (units, months): M1's mean made at ``t``, the count
    ``horizon`` months later, and the tier at ``t``.
    """

    months: npt.NDArray[np.int64]
    m1: FloatArray
    observed: FloatArray
    active: npt.NDArray[np.bool_]
    quiet_rate: float  # mean count ``horizon`` months after a unit's 12 quiet months


def _past_forecasts(history: PanelHistory, origin: int, horizon: int) -> _PastForecasts:
    counts = history.counts
    months = np.arange(WINDOW_MONTHS - 1, origin - horizon + 1, dtype=np.int64)
    active = np.stack([active_units(counts, int(t)) for t in months], axis=1) if len(months) else None
    if active is None:
        empty = np.empty((counts.shape[0], 0))
        return _PastForecasts(months, empty, empty, empty.astype(bool), 0.0)
    observed = counts[:, months + horizon]
    quiet_outcomes = observed[~active]
    quiet_rate = float(quiet_outcomes.mean()) if quiet_outcomes.size else 0.0
    m1 = np.where(active, np.nan_to_num(history.ewma_counts[:, months]), quiet_rate)
    return _PastForecasts(months, m1, observed, active, quiet_rate)


def tier_sizes(mean: FloatArray, observed: FloatArray, active: npt.NDArray[np.bool_]) -> dict[str, float]:
    """Negative-binomial size per activity tier, by the method of moments on past forecasts.

    var = mu + mu²/size, so size = sum(mu²) / sum((y - mu)² - mu) over the tier's unit-months;
    no overdispersion left is the Poisson (inf).
    """
    sizes = {}
    for tier, members in (("active", active), ("quiet", ~active)):
        mu, y = mean[members], observed[members]
        top, excess = float((mu**2).sum()), float(((y - mu) ** 2 - mu).sum())
        sizes[tier] = max(top / excess, MIN_SIZE) if excess > 0 and top > 0 else np.inf
    return sizes


@dataclass(frozen=True)
class _Boosted:
    """A fitted M2 with the tier sizes of M2 and M3 on its fitted past (from its own residuals)."""

    model: HistGradientBoostingRegressor
    size_m2: dict[str, float]
    size_m3: dict[str, float]


#: Fitted M2 models kept between backtest origins: horizon -> (origin fitted at, model and sizes).
ModelCache = dict[int, tuple[int, _Boosted]]


def _boosted(
    history: PanelHistory,
    past: _PastForecasts,
    origin: int,
    horizon: int,
    cache: ModelCache | None = None,
    refit_every: int = 1,
) -> _Boosted | None:
    """M2 for ``horizon`` months ahead, fitted on rows whose target is at or before ``origin``.

    None: too little history to fit. With a ``cache``, a model fitted at an earlier origin less
    than ``refit_every`` months ago is reused: it saw even less data, so nothing after
    ``origin`` is used either way (the backtest's saving; the served outlook always refits).
    """
    last_row_month = origin - horizon
    if last_row_month < FIRST_TRAINING_MONTH or history.counts[:, : origin + 1].sum() <= 0:
        return None
    kept = cache.get(horizon) if cache is not None else None
    if kept is not None and 0 <= origin - kept[0] < refit_every:
        return kept[1]
    # One thread: OpenMP threads on a shared, busy machine made each fit 20 times slower.
    with _THREADPOOLS.limit(limits=1):
        model = HistGradientBoostingRegressor(**_BOOSTING)
        x, y = _training_rows(history, FIRST_TRAINING_MONTH, last_row_month, horizon)
        # A feature with no value yet (the 12-month mean in a short history) would make the fit
        # fail; as a constant it is simply never split on.
        x[:, np.isnan(x).all(axis=0)] = 0.0
        model.fit(x, y)
        sizes_m2, sizes_m3 = {tier: np.inf for tier in TIERS}, {tier: np.inf for tier in TIERS}
        if len(past.months):
            fitted = model.predict(_training_rows(history, int(past.months[0]), last_row_month, horizon)[0])
            m2 = fitted.reshape(past.m1.shape)
            sizes_m2 = tier_sizes(m2, past.observed, past.active)
            sizes_m3 = tier_sizes((past.m1 + m2) / 2.0, past.observed, past.active)
    made = _Boosted(model, sizes_m2, sizes_m3)
    if cache is not None:
        cache[horizon] = (origin, made)
    return made


def _training_rows(
    history: PanelHistory, first: int, last: int, horizon: int
) -> tuple[FloatArray, FloatArray]:
    """Features at months ``first..last`` (unit-major) and the counts ``horizon`` months later."""
    x = history.features[:, first : last + 1, :]
    targets = slice(first + horizon, last + horizon + 1)
    season = np.broadcast_to(history.month_of_year[targets][None, :, None], (*x.shape[:2], 1))
    rows = np.concatenate([x, season], axis=2).reshape(-1, x.shape[2] + 1)
    return rows, history.counts[:, targets].reshape(-1)


def fatal_share(counts: FloatArray, fatal: FloatArray, origin: int) -> FloatArray:
    """Each unit's share of incidents with fatalities over the 24 months up to the origin,
    shrunk towards the level's share (a unit with 2 incidents does not get 0 % or 100 %)."""
    window = slice(max(0, origin - SHARE_MONTHS + 1), origin + 1)
    deadly, total = fatal[:, window].sum(axis=1), counts[:, window].sum(axis=1)
    pooled = float(deadly.sum() / total.sum()) if total.sum() > 0 else 0.0
    return np.asarray((deadly + SHARE_PRIOR * pooled) / (total + SHARE_PRIOR), dtype=np.float64)


def _model_forecasts(
    history: PanelHistory,
    origin: int,
    horizon: int,
    active: npt.NDArray[np.bool_],
    cache: ModelCache | None,
    refit_every: int,
) -> dict[str, NegBinForecast]:
    """M1, M2 and M3 of the incident count at ``origin``, ``horizon`` months ahead."""
    past = _past_forecasts(history, origin, horizon)

    def per_unit(sizes: dict[str, float]) -> FloatArray:
        return np.where(active, sizes["active"], sizes["quiet"])

    m1 = np.where(active, np.nan_to_num(history.ewma_counts[:, origin]), past.quiet_rate)
    size_m1 = per_unit(tier_sizes(past.m1, past.observed, past.active))
    boosted = _boosted(history, past, origin, horizon, cache, refit_every)
    if boosted is None:  # too little history for M2: M2 and M3 fall back to M1
        return {name: NegBinForecast(m1, size_m1) for name in MODELS}
    x_now = history.features[:, origin, :]
    season_now = np.full((x_now.shape[0], 1), history.month_of_year[origin + horizon])
    with _THREADPOOLS.limit(limits=1):
        m2 = np.asarray(boosted.model.predict(np.concatenate([x_now, season_now], axis=1)), dtype=np.float64)
    return {
        "M1": NegBinForecast(m1, size_m1),
        "M2": NegBinForecast(m2, per_unit(boosted.size_m2)),
        "M3": NegBinForecast((m1 + m2) / 2.0, per_unit(boosted.size_m3)),
    }


def forecast_origin(
    history: PanelHistory,
    origin: int,
    horizons: tuple[int, ...] = HORIZONS,
    *,
    cache: ModelCache | None = None,
    refit_every: int = 1,
) -> OriginForecasts:
    """Every model's and baseline's forecasts at ``origin`` (needs 12 months of data up to it).

    ``cache`` and ``refit_every``: see :func:`_boosted_means` (the backtest refits M2 less often).
    """
    if origin < WINDOW_MONTHS - 1:
        raise ValueError(f"origin {origin} has fewer than {WINDOW_MONTHS} months of history")
    counts, fatal = history.counts, history.fatal
    active = active_units(counts, origin)
    window = slice(origin - WINDOW_MONTHS + 1, origin + 1)
    baseline_counts: dict[str, CountForecast] = {
        "zero": EnsembleForecast(np.zeros((counts.shape[0], 1))),
        "last": poisson_forecast(counts[:, origin]),
        "climatology": EnsembleForecast(counts[:, window]),
    }
    baseline_fatal = {
        "zero": np.zeros(counts.shape[0]),
        "last": 1.0 - np.exp(-fatal[:, origin]),
        "climatology": (fatal[:, window] >= 1).mean(axis=1),
        "base_rate": (fatal[:, : origin + 1] >= 1).mean(axis=1),
    }
    share = fatal_share(counts, fatal, origin)
    out_counts: dict[tuple[str, int], CountForecast] = {}
    out_fatal: dict[tuple[str, int], FloatArray] = {}
    for horizon in horizons:
        for name, forecast in baseline_counts.items():
            out_counts[(name, horizon)] = forecast
        for name, probability in baseline_fatal.items():
            out_fatal[(name, horizon)] = np.asarray(probability, dtype=np.float64)
        for name, forecast in _model_forecasts(history, origin, horizon, active, cache, refit_every).items():
            out_counts[(name, horizon)] = forecast
            # Thinning a negative binomial by the fatal share keeps its size: NB(mean x share, size).
            deadly = NegBinForecast(forecast.mean * share, forecast.size)
            out_fatal[(name, horizon)] = deadly.prob_at_least(1.0)
    return OriginForecasts(origin, active, surge_threshold(counts, origin), out_counts, out_fatal)
