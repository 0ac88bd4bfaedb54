"""History features per unit and month, each computed only from that month and the ones before.

One tensor for the whole panel: the value at month ``t`` never reads a month after ``t``, so
a model fitted for origin ``o`` on rows ``t + h <= o`` and applied at ``o`` sees nothing after
``o``. Neighbouring units' counts are left out: admin-2 adjacency and corridor crossings would
need a geometry pass per level for a feature the pooled level mean (below) partly stands in for.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
#: Months of the exponentially weighted mean (M1) and of the climatology baseline.
WINDOW_MONTHS: Final = 12
#: Half-life (months) of the exponentially weighted mean: recent months count more.
EWMA_HALF_LIFE: Final = 3.0
#: Months since the last fatal incident are capped here (and stand for "never").
MONTHS_SINCE_CAP: Final = 60.0
LAGS: Final = 6
ROLLING: Final = (3, 6, 12)
FEATURE_NAMES: Final = (
    *(f"lag{lag}" for lag in range(1, LAGS + 1)),
    *(f"mean{window}" for window in ROLLING),
    "ewma12",
    "fatal_mean3",
    "fatal_mean12",
    "months_since_fatal",
    "level_mean3",
)


def ewma_weights() -> FloatArray:
    """Weights of the last 12 months, most recent first, summing to 1."""
    decay = 0.5 ** (1.0 / EWMA_HALF_LIFE)
    weights = decay ** np.arange(WINDOW_MONTHS, dtype=np.float64)
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def trailing_mean(values: FloatArray, window: int) -> FloatArray:
    """Mean of the ``window`` months ending at each month (NaN while fewer months exist)."""
    cumulative = np.cumsum(np.pad(values, ((0, 0), (1, 0))), axis=1)
    out = np.full(values.shape, np.nan)
    out[:, window - 1 :] = (cumulative[:, window:] - cumulative[:, :-window]) / window
    return out


def ewma(values: FloatArray) -> FloatArray:
    """Exponentially weighted mean of the 12 months ending at each month (NaN before month 12)."""
    out = np.full(values.shape, np.nan)
    months = values.shape[1]
    if months < WINDOW_MONTHS:
        return out
    total = np.zeros((values.shape[0], months - WINDOW_MONTHS + 1))
    for back, weight in enumerate(ewma_weights()):
        total += weight * values[:, WINDOW_MONTHS - 1 - back : months - back]
    out[:, WINDOW_MONTHS - 1 :] = total
    return out


def months_since(events: FloatArray) -> FloatArray:
    """Months since the last month with ``events > 0`` (0: this month), capped at 60."""
    out = np.empty(events.shape)
    since = np.full(events.shape[0], MONTHS_SINCE_CAP)
    for month in range(events.shape[1]):
        since = np.where(events[:, month] > 0, 0.0, np.minimum(since + 1.0, MONTHS_SINCE_CAP))
        out[:, month] = since
    return out


def feature_tensor(counts: FloatArray, fatal: FloatArray) -> FloatArray:
    """(units, months, features) in the order of :data:`FEATURE_NAMES`."""
    units, months = counts.shape
    lagged = []
    for back in range(LAGS):
        shifted = np.full((units, months), np.nan)
        shifted[:, back:] = counts[:, : months - back]
        lagged.append(shifted)
    mean3 = trailing_mean(counts, 3)
    level_mean = np.broadcast_to(np.log1p(mean3.mean(axis=0, keepdims=True)), (units, months))
    columns = [
        *lagged,
        *(trailing_mean(counts, window) for window in ROLLING),
        ewma(counts),
        trailing_mean(fatal, 3),
        trailing_mean(fatal, 12),
        months_since(fatal),
        level_mean,
    ]
    return np.stack(columns, axis=2)
