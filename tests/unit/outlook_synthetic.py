"""Synthetic unit-month processes with known true rates, for the outlook tests.

Counts are Poisson draws from a known rate per unit and month; incidents with fatalities
are a binomial thinning of them with a known share per unit, so the true probability of at
least one fatal incident is 1 - exp(-rate x share). Mean counts are kept in the 5-15 range:
at a handful of incidents even the true Poisson's 5-95 % interval covers 93-98 % (counts are
whole numbers), which would say nothing about the models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from incidents.outlook.panel import Panel


@dataclass(frozen=True)
class Synthetic:
    """A panel and the truth behind it."""

    panel: Panel
    rate: npt.NDArray[np.float64]  # expected incidents per unit and month
    fatal_rate: npt.NDArray[np.float64]  # expected fatal incidents per unit and month

    def true_p_fatal(
        self, units: npt.NDArray[np.int64], months: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float64]:
        """P(at least one fatal incident) in each (unit, month)."""
        return np.asarray(1.0 - np.exp(-self.fatal_rate[units, months]), dtype=np.float64)


def synthetic_panel(seed: int, units: int = 60, months: int = 60, *, signal: bool = True) -> Synthetic:
    """Persistent hotspots with a slow random walk and seasonality (``signal``), or constant rates."""
    rng = np.random.default_rng(seed)
    base = np.exp(rng.normal(1.6, 0.7, units))[:, None]
    if signal:
        walk = np.exp(np.cumsum(rng.normal(0.0, 0.07, (units, months)), axis=1))
        season = 1.0 + 0.5 * np.sin(2.0 * np.pi * np.arange(months) / 12.0)[None, :]
        rate = base * walk * season
    else:
        rate = base * np.ones((1, months))
    share = rng.uniform(0.05, 0.4, units)[:, None]
    counts = rng.poisson(rate)
    fatal = rng.binomial(counts, np.broadcast_to(share, counts.shape))
    names = pd.DataFrame(
        {"unit_code": [f"U{i:02d}" for i in range(units)], "unit_name": [f"Unit {i}" for i in range(units)]}
    )
    panel = Panel(
        level="admin1",
        units=names,
        months=pd.period_range("2020-01", periods=months, freq="M"),
        counts=counts.astype(np.float64),
        fatal=fatal.astype(np.float64),
    )
    return Synthetic(panel, rate, rate * share)
