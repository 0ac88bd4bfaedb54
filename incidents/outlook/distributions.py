"""Predictive count distributions, one per unit, and their scores.

Two shapes cover every model and baseline: a negative binomial (mean and size; an infinite
size is the Poisson) and an ensemble of equally likely values (climatology resamples the
unit's last 12 months; the zero forecast is the one value 0). Scores come from the
maintained ``scoringrules`` library rather than hand-written formulas.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np
import numpy.typing as npt
import scoringrules as sr
from scipy import special, stats

FloatArray = npt.NDArray[np.float64]
#: Levels of the quantiles the outlook reports (5, 25, 50, 75, 95 %).
QUANTILE_LEVELS: Final = (0.05, 0.25, 0.50, 0.75, 0.95)
#: Means are floored here so that a unit with no history still has a (tiny) distribution.
MIN_MEAN: Final = 1e-6
#: Sizes at or above this are treated as Poisson (the closed forms lose precision past it).
POISSON_SIZE: Final = 200.0
#: From this many quantile levels on, one cdf over a grid of whole numbers answers them all ...
_GRID_LEVELS: Final = 16
#: ... for units whose outer quantiles lie at most this many whole numbers apart (else bisection).
_GRID_MAX_WIDTH: Final = 4096
#: Members of the quantile ensemble used where a closed-form CRPS is not finite (very large counts).
_FALLBACK_MEMBERS: Final = 400


class CountForecast(Protocol):
    """What every predictive distribution answers, unit by unit."""

    def quantiles(self, levels: tuple[float, ...] = QUANTILE_LEVELS) -> FloatArray:
        """(units, levels) quantiles."""
        ...

    def prob_at_least(self, threshold: npt.ArrayLike) -> FloatArray:
        """P(count >= threshold) per unit (an infinite threshold gives 0)."""
        ...

    def cdf(self, k: npt.ArrayLike) -> FloatArray:
        """P(count <= k) per unit."""
        ...

    def crps(self, observed: npt.ArrayLike) -> FloatArray:
        """CRPS of each unit's distribution against its observed count (lower is better)."""
        ...


@dataclass(frozen=True)
class NegBinForecast:
    """Negative binomial with mean ``mean`` and size ``size`` per unit (variance mean + mean²/size)."""

    mean: FloatArray
    size: FloatArray

    def _parts(self) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
        mu = np.maximum(np.asarray(self.mean, dtype=np.float64), MIN_MEAN)
        size = np.broadcast_to(np.asarray(self.size, dtype=np.float64), mu.shape)
        poisson = ~(size < POISSON_SIZE)
        return mu, np.where(poisson, POISSON_SIZE, size), poisson

    def quantiles(self, levels: tuple[float, ...] = QUANTILE_LEVELS) -> FloatArray:
        mu, size, poisson = self._parts()
        if len(levels) < _GRID_LEVELS:
            return self._bisected(mu, size, poisson, np.asarray(levels, dtype=np.float64))
        # Many levels (the CRPS fallback's 400): bisect the outer two, then one cdf over the
        # whole numbers between them answers every level in between (monotone: a search).
        q = np.asarray(levels, dtype=np.float64)
        ends = self._bisected(mu, size, poisson, np.array([q.min(), q.max()]))
        out = np.empty((len(mu), len(q)))
        width = ends[:, 1] - ends[:, 0] + 1.0
        narrow = width <= _GRID_MAX_WIDTH
        if (~narrow).any():
            out[~narrow] = self._bisected(mu[~narrow], size[~narrow], poisson[~narrow], q)
        if narrow.any():
            low, high = ends[narrow, 0], ends[narrow, 1]
            steps = np.arange(int(width[narrow].max()), dtype=np.float64)[None, :]
            k = np.minimum(low[:, None] + steps, high[:, None])  # rows padded with their last value
            grid = _negbin_cdf(
                k,
                np.broadcast_to(mu[narrow][:, None], k.shape),
                np.broadcast_to(size[narrow][:, None], k.shape),
                np.broadcast_to(poisson[narrow][:, None], k.shape),
            )
            order = np.argsort(q)
            found = np.stack([np.searchsorted(row, q[order], side="left") for row in grid])
            out[np.flatnonzero(narrow)[:, None], order[None, :]] = low[:, None] + found
        return out

    @staticmethod
    def _bisected(
        mu: FloatArray, size: FloatArray, poisson: npt.NDArray[np.bool_], levels: FloatArray
    ) -> FloatArray:
        shape = (len(mu), len(levels))
        q = np.broadcast_to(levels[None, :], shape)
        mu2, size2 = np.broadcast_to(mu[:, None], shape), np.broadcast_to(size[:, None], shape)
        poisson2 = np.broadcast_to(poisson[:, None], shape)
        sd = np.sqrt(mu2 + np.where(poisson2, 0.0, mu2**2 / size2))
        return discrete_quantiles(lambda k: _negbin_cdf(k, mu2, size2, poisson2), q, mu2 + 10.0 * sd + 10.0)

    def cdf(self, k: npt.ArrayLike) -> FloatArray:
        mu, size, poisson = self._parts()
        return _negbin_cdf(np.broadcast_to(np.asarray(k, dtype=np.float64), mu.shape), mu, size, poisson)

    def prob_at_least(self, threshold: npt.ArrayLike) -> FloatArray:
        mu, size, poisson = self._parts()
        below = np.broadcast_to(np.asarray(threshold, dtype=np.float64), mu.shape) - 1.0
        finite = np.isfinite(below)
        k = np.where(finite, below, 0.0)
        nb = stats.nbinom.sf(k, size, size / (size + mu))
        po = stats.poisson.sf(k, mu)
        return np.asarray(np.where(finite, np.where(poisson, po, nb), 0.0), dtype=np.float64)

    def crps(self, observed: npt.ArrayLike) -> FloatArray:
        mu, size, poisson = self._parts()
        y = np.asarray(observed, dtype=np.float64)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            nb = np.asarray(sr.crps_negbinom(y, n=size, mu=mu), dtype=np.float64)
            po = np.asarray(sr.crps_poisson(y, mu), dtype=np.float64)
        score = np.where(poisson, po, nb)
        bad = ~np.isfinite(score)
        if bad.any():  # closed forms overflow for counts in the thousands: score a fine quantile ensemble
            levels = tuple((np.arange(_FALLBACK_MEMBERS) + 0.5) / _FALLBACK_MEMBERS)
            members = NegBinForecast(mu[bad], np.where(poisson, np.inf, size)[bad]).quantiles(levels)
            score[bad] = EnsembleForecast(members).crps(y[bad])
        return np.asarray(score, dtype=np.float64)


@dataclass(frozen=True)
class EnsembleForecast:
    """Equally likely values per unit: ``members`` is (units, members)."""

    members: FloatArray

    def quantiles(self, levels: tuple[float, ...] = QUANTILE_LEVELS) -> FloatArray:
        values = np.quantile(self.members, list(levels), axis=1, method="inverted_cdf")
        return np.asarray(values.T, dtype=np.float64)

    def cdf(self, k: npt.ArrayLike) -> FloatArray:
        limit = np.broadcast_to(np.asarray(k, dtype=np.float64), self.members.shape[:1])[:, None]
        return np.asarray((self.members <= limit).mean(axis=1), dtype=np.float64)

    def prob_at_least(self, threshold: npt.ArrayLike) -> FloatArray:
        limit = np.asarray(threshold, dtype=np.float64)
        limit = np.broadcast_to(limit, self.members.shape[:1])[:, None]
        return np.asarray((self.members >= limit).mean(axis=1), dtype=np.float64)

    def crps(self, observed: npt.ArrayLike) -> FloatArray:
        y = np.asarray(observed, dtype=np.float64)
        return np.asarray(sr.crps_ensemble(y, self.members), dtype=np.float64)


def _negbin_cdf(
    k: FloatArray, mu: FloatArray, size: FloatArray, poisson: npt.NDArray[np.bool_]
) -> FloatArray:
    """P(X <= k) elementwise, each element evaluated by its own family only: the regularised
    incomplete gamma (Poisson) and beta (negative binomial) functions behind scipy.stats' cdfs."""
    out = np.zeros(k.shape)
    whole = np.floor(k)
    po, nb = (k >= 0) & poisson, (k >= 0) & ~poisson
    out[po] = special.pdtr(whole[po], mu[po])
    out[nb] = special.betainc(size[nb], whole[nb] + 1.0, size[nb] / (size[nb] + mu[nb]))
    return out


def discrete_quantiles(
    cdf: Callable[[FloatArray], FloatArray], q: FloatArray, upper_guess: FloatArray
) -> FloatArray:
    """The smallest whole k >= 0 with ``cdf(k) >= q``, elementwise (a discrete ppf).

    Bisection on whole numbers between -1 and an upper bound (``upper_guess``, doubled until
    the cdf reaches ``q``): a dozen vectorised cdf evaluations, where scipy.stats' ppf inverts
    a special function element by element (several times slower over the backtest's forecasts).
    """
    level = np.asarray(q, dtype=np.float64)
    hi = np.ceil(np.maximum(np.asarray(upper_guess, dtype=np.float64), 1.0))
    for _ in range(64):
        short = cdf(hi) < level
        if not short.any():
            break
        hi = np.where(short, 2.0 * hi, hi)
    lo = np.full(level.shape, -1.0)  # cdf(-1) = 0 < q, for every q > 0
    while True:
        gap = hi - lo > 1.0
        if not gap.any():
            break
        mid = np.floor((lo + hi) / 2.0)
        reached = cdf(mid) >= level
        hi = np.where(gap & reached, mid, hi)
        lo = np.where(gap & ~reached, mid, lo)
    return np.asarray(np.where(level <= 0.0, 0.0, hi), dtype=np.float64)


def poisson_forecast(mean: npt.ArrayLike) -> NegBinForecast:
    """A Poisson distribution per unit (a negative binomial of infinite size)."""
    mu = np.asarray(mean, dtype=np.float64)
    return NegBinForecast(mu, np.full(mu.shape, np.inf))


def brier(probability: npt.ArrayLike, happened: npt.ArrayLike) -> FloatArray:
    """Brier score of each probability against whether the event happened (0 or 1)."""
    return np.asarray(
        sr.brier_score(np.asarray(happened, dtype=np.float64), np.asarray(probability, dtype=np.float64)),
        dtype=np.float64,
    )


def at_least_once(monthly: npt.ArrayLike) -> FloatArray:
    """P(the event happens in at least one of the months) from each row's monthly probabilities.

    ``monthly`` is (units, months). The months are combined as if independent given the
    forecasts: 1 - prod(1 - p). Violence clusters in time, so where the months are positively
    dependent this is an upper bound on the true window probability (never below its largest
    month's probability, which is the lower bound).
    """
    p = np.clip(np.asarray(monthly, dtype=np.float64), 0.0, 1.0)
    return np.asarray(1.0 - np.prod(1.0 - p, axis=1), dtype=np.float64)
