"""The outlook's models (M1, M2, M3) and the naive baselines they must beat, at one origin.

Every function reads ``counts[:, : origin + 1]`` and ``fatal[:, : origin + 1]`` only. Each
forecaster gives, per unit and horizon, a count distribution (quantiles, surge probability,
CRPS) and ``p_fatal``, the probability of at least one incident with fatalities. Fatal
incidents are modelled exactly like all incidents (same model on the fatal-incident count);
``p_fatal`` is that distribution's P(count >= 1).

* M1: negative binomial per unit; mean = exponentially weighted mean of the last 12 months
  (half-life 3); units quiet for 12 months get their tier's observed rate; size (dispersion)
  pooled within the activity tier by the method of moments on past forecasts.
* M2: one pooled ``HistGradientBoostingRegressor`` (Poisson loss) per horizon and target on the
  history features of :mod:`incidents.outlook.features` and the target's month of year; the
  same tier sizes as M1 around its mean.
* M3: the mean of M1's and M2's means, same sizes.
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
from threadpoolctl import threadpool_limits

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
#: Smallest size (largest dispersion) a tier may get; guards against a few wild months.
MIN_SIZE: Final = 0.05
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
    ewma_fatal: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        self.features = feature_tensor(self.counts, self.fatal)
        self.ewma_counts = ewma(self.counts)
        self.ewma_fatal = ewma(self.fatal)

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


def _quiet_rate(values: FloatArray, counts: FloatArray, origin: int, horizon: int) -> float:
    """Mean of ``values`` ``horizon`` months after past months where a unit had been quiet 12 months."""
    rates = []
    for month in range(WINDOW_MONTHS - 1, origin - horizon + 1):
        quiet = ~active_units(counts, month)
        rates.append(values[quiet, month + horizon])
    pooled = np.concatenate(rates) if rates else np.empty(0)
    return float(pooled.mean()) if len(pooled) else 0.0


def _m1_means(smoothed: FloatArray, active: npt.NDArray[np.bool_], quiet_rate: float) -> FloatArray:
    return np.where(active, np.nan_to_num(smoothed), quiet_rate)


def tier_sizes(
    history: PanelHistory, values: FloatArray, smoothed: FloatArray, origin: int, horizon: int
) -> dict[str, float]:
    """Negative-binomial size per tier, by the method of moments on M1's past forecasts.

    Over every past month ``t`` with ``t + horizon <= origin``: var = mu + mu²/size, so
    size = sum(mu²) / sum((y - mu)² - mu); no overdispersion left is the Poisson (inf).
    """
    sums = {tier: [0.0, 0.0] for tier in TIERS}
    quiet_rate = _quiet_rate(values, history.counts, origin, horizon)
    for month in range(WINDOW_MONTHS - 1, origin - horizon + 1):
        active = active_units(history.counts, month)
        mu = _m1_means(smoothed[:, month], active, quiet_rate)
        y = values[:, month + horizon]
        for tier, members in (("active", active), ("quiet", ~active)):
            sums[tier][0] += float((mu[members] ** 2).sum())
            sums[tier][1] += float(((y[members] - mu[members]) ** 2 - mu[members]).sum())
    return {
        tier: (max(top / excess, MIN_SIZE) if excess > 0 and top > 0 else np.inf)
        for tier, (top, excess) in sums.items()
    }


#: Fitted M2 models kept between backtest origins: (target, horizon) -> (origin fitted at, model).
ModelCache = dict[tuple[str, int], tuple[int, HistGradientBoostingRegressor]]


def _boosted_means(
    history: PanelHistory,
    target: str,
    origin: int,
    horizon: int,
    cache: ModelCache | None = None,
    refit_every: int = 1,
) -> FloatArray | None:
    """M2's means at ``origin`` for ``horizon`` months ahead (None: too little history to fit).

    With a ``cache``, a model fitted at an earlier origin less than ``refit_every`` months ago
    is applied to the features at ``origin`` instead of refitting: it saw even less data, so
    nothing after ``origin`` is used either way (the backtest's saving; the served outlook refits).
    """
    values = history.counts if target == "counts" else history.fatal
    last_row_month = origin - horizon
    if last_row_month < FIRST_TRAINING_MONTH:
        return None
    if values[:, : origin + 1].sum() <= 0:
        return np.zeros(values.shape[0])
    kept = cache.get((target, horizon)) if cache is not None else None
    # One thread: OpenMP threads on a shared, busy machine made each fit 20 times slower.
    with threadpool_limits(limits=1):
        if kept is not None and 0 <= origin - kept[0] < refit_every:
            model = kept[1]
        else:
            model = _fit_boosted(history, values, last_row_month, horizon)
            if cache is not None:
                cache[(target, horizon)] = (origin, model)
        x_now = history.features[:, origin, :]
        season_now = np.full((x_now.shape[0], 1), history.month_of_year[origin + horizon])
        return np.asarray(model.predict(np.concatenate([x_now, season_now], axis=1)), dtype=np.float64)


def _fit_boosted(
    history: PanelHistory, values: FloatArray, last_row_month: int, horizon: int
) -> HistGradientBoostingRegressor:
    """Fit on every unit and month ``t`` with ``FIRST_TRAINING_MONTH <= t <= last_row_month``."""
    months = slice(FIRST_TRAINING_MONTH, last_row_month + 1)
    x = history.features[:, months, :]
    targets = slice(FIRST_TRAINING_MONTH + horizon, last_row_month + horizon + 1)
    season = np.broadcast_to(history.month_of_year[targets][None, :, None], (*x.shape[:2], 1))
    x_train = np.concatenate([x, season], axis=2).reshape(-1, x.shape[2] + 1)
    model = HistGradientBoostingRegressor(**_BOOSTING)
    model.fit(x_train, values[:, targets].reshape(-1))
    return model


def _model_forecasts(
    history: PanelHistory,
    target: str,
    origin: int,
    horizon: int,
    active: npt.NDArray[np.bool_],
    cache: ModelCache | None,
    refit_every: int,
) -> dict[str, NegBinForecast]:
    """M1, M2 and M3 for ``target`` ("counts" or "fatal") at ``origin``, ``horizon`` months ahead."""
    values, smoothed = (
        (history.counts, history.ewma_counts) if target == "counts" else (history.fatal, history.ewma_fatal)
    )
    sizes = tier_sizes(history, values, smoothed, origin, horizon)
    size = np.where(active, sizes["active"], sizes["quiet"])
    m1 = _m1_means(smoothed[:, origin], active, _quiet_rate(values, history.counts, origin, horizon))
    boosted = _boosted_means(history, target, origin, horizon, cache, refit_every)
    m2 = m1 if boosted is None else boosted
    return {
        "M1": NegBinForecast(m1, size),
        "M2": NegBinForecast(m2, size),
        "M3": NegBinForecast((m1 + m2) / 2.0, size),
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
    out_counts: dict[tuple[str, int], CountForecast] = {}
    out_fatal: dict[tuple[str, int], FloatArray] = {}
    for horizon in horizons:
        for name, forecast in baseline_counts.items():
            out_counts[(name, horizon)] = forecast
        for name, probability in baseline_fatal.items():
            out_fatal[(name, horizon)] = np.asarray(probability, dtype=np.float64)
        incidents = _model_forecasts(history, "counts", origin, horizon, active, cache, refit_every)
        deadly = _model_forecasts(history, "fatal", origin, horizon, active, cache, refit_every)
        for name in MODELS:
            out_counts[(name, horizon)] = incidents[name]
            out_fatal[(name, horizon)] = deadly[name].prob_at_least(1.0)
    return OriginForecasts(origin, active, surge_threshold(counts, origin), out_counts, out_fatal)
