"""Rolling-origin backtest and the skill gate: is a model better than naive guesses, and where?

Origins are consecutive months; at each, every model and baseline is fitted on the data up
to that origin only (expanding window) and scored on the next 1-3 months where they are
known. Scores: CRPS of the count distribution, Brier score of ``p_fatal``, coverage of the
50 % and 90 % intervals, by horizon and activity tier; skills against each baseline; a
reliability table. The gate then decides per tier and horizon what the outlook serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from incidents.outlook.distributions import brier
from incidents.outlook.models import (
    COUNT_BASELINES,
    FATAL_BASELINES,
    HORIZONS,
    MODELS,
    TIERS,
    ModelCache,
    PanelHistory,
    forecast_origin,
)
from incidents.outlook.wording import ICD203_WORDS, likelihood_words

#: Default number of monthly origins of a backtest.
DEFAULT_ORIGINS: Final = 24
#: A model is served only with at least this skill over the best baseline ... Without any
#: signal, a smooth distribution still beats the 12-value climatology by 2-4 % CRPS (and the
#: base rate by up to 3 % Brier, less often): these margins keep such gains from counting.
MIN_SKILL: Final = {"crps": 0.05, "brier": 0.02}
#: ... and a paired mean improvement of at least this many standard errors (not luck).
MIN_Z: Final = 2.0
#: The backtest refits M2 every this many origins (models in between are applied, never peek).
BACKTEST_REFIT_EVERY: Final = 3
#: Served when a tier and horizon had no scored unit-month at all.
FALLBACK_COUNTS: Final = "climatology"
FALLBACK_FATAL: Final = "base_rate"
RELIABILITY_BINS: Final = 10
FORECASTERS: Final = (*MODELS, *FATAL_BASELINES)


@dataclass(frozen=True)
class GateDecision:
    """What one tier and horizon serves, and the backtest evidence behind it."""

    tier: str
    horizon: int
    counts: str  # model or baseline serving the count distribution and p_surge
    p_fatal: str  # model or baseline serving p_fatal

    @property
    def served_by(self) -> str:
        """One label: the source, or the count source with p_fatal's source beside it."""
        return self.counts if self.counts == self.p_fatal else f"{self.counts} (p_fatal: {self.p_fatal})"


@dataclass(frozen=True)
class Backtest:
    """Per unit-month scores (``scores``, long form) and the gate decided from them."""

    months: pd.PeriodIndex  # the origins
    scores: pd.DataFrame
    gate: dict[tuple[str, int], GateDecision]


def score_origins(history: PanelHistory, origins: range, last_observed: int) -> pd.DataFrame:
    """Scores of every forecaster at every origin and horizon with a known outcome.

    One row per origin, horizon, forecaster and unit: ``tier``, ``crps`` (NaN for
    ``base_rate``, a p_fatal-only baseline), ``brier``, ``p_fatal``, ``fatal_happened``,
    ``cover50``, ``cover90``. Targets after ``last_observed`` are neither used nor scored.
    """
    pieces: list[pd.DataFrame] = []
    cache: ModelCache = {}
    for origin in origins:
        horizons = tuple(h for h in HORIZONS if origin + h <= last_observed)
        if not horizons:
            continue
        made = forecast_origin(history, origin, horizons, cache=cache, refit_every=BACKTEST_REFIT_EVERY)
        tier = np.where(made.active, "active", "quiet")
        for horizon in horizons:
            observed = history.counts[:, origin + horizon]
            happened = (history.fatal[:, origin + horizon] >= 1).astype(np.float64)
            for name in FORECASTERS:
                p_fatal = made.p_fatal[(name, horizon)]
                counts = made.counts.get((name, horizon))
                if counts is None:
                    crps = cover50 = cover90 = np.full(len(observed), np.nan)
                else:
                    q = counts.quantiles()
                    crps = counts.crps(observed)
                    cover50 = ((q[:, 1] <= observed) & (observed <= q[:, 3])).astype(np.float64)
                    cover90 = ((q[:, 0] <= observed) & (observed <= q[:, 4])).astype(np.float64)
                pieces.append(
                    pd.DataFrame(
                        {
                            "origin": origin,
                            "horizon": horizon,
                            "forecaster": name,
                            "unit": np.arange(len(observed)),
                            "tier": tier,
                            "crps": crps,
                            "brier": brier(p_fatal, happened),
                            "p_fatal": p_fatal,
                            "fatal_happened": happened,
                            "cover50": cover50,
                            "cover90": cover90,
                        }
                    )
                )
    return pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame()


def _beats(scores: pd.DataFrame, metric: str, model: str, baseline: str) -> bool:
    """Whether ``model`` beats ``baseline`` on ``metric``: enough skill and a paired z above MIN_Z."""
    paired = scores.pivot_table(index=["origin", "unit"], columns="forecaster", values=metric)
    gain = (paired[baseline] - paired[model]).to_numpy()
    base = float(paired[baseline].mean())
    if len(gain) < 2 or base <= 0:
        return False
    spread = float(gain.std(ddof=1))
    z = (
        float(gain.mean()) / (spread / np.sqrt(len(gain)))
        if spread > 0
        else float(np.sign(gain.mean())) * np.inf
    )
    return bool(1.0 - float(paired[model].mean()) / base >= MIN_SKILL[metric] and z >= MIN_Z)


def _best(scores: pd.DataFrame, metric: str, names: tuple[str, ...]) -> str:
    means = scores[scores["forecaster"].isin(names)].groupby("forecaster")[metric].mean()
    # Rounded, so a tie (the last month of a quiet unit is 0: "last" is "zero") goes to the simpler.
    return str(means.reindex(list(names)).round(6).idxmin())


def skill_gate(scores: pd.DataFrame) -> dict[tuple[str, int], GateDecision]:
    """Per tier and horizon: the best model where it beats the best baseline, else that baseline."""
    gate = {}
    for tier in TIERS:
        for horizon in HORIZONS:
            part = (
                scores[(scores["tier"] == tier) & (scores["horizon"] == horizon)] if len(scores) else scores
            )
            if not len(part):
                gate[(tier, horizon)] = GateDecision(tier, horizon, FALLBACK_COUNTS, FALLBACK_FATAL)
                continue
            chosen = []
            for metric, baselines in (("crps", COUNT_BASELINES), ("brier", FATAL_BASELINES)):
                model, baseline = _best(part, metric, MODELS), _best(part, metric, baselines)
                chosen.append(model if _beats(part, metric, model, baseline) else baseline)
            gate[(tier, horizon)] = GateDecision(tier, horizon, chosen[0], chosen[1])
    return gate


def run_backtest(
    history: PanelHistory, months: pd.PeriodIndex, origins: range, last_observed: int
) -> Backtest:
    """Score ``origins`` (indices into ``months``) and decide the gate from those scores."""
    scores = score_origins(history, origins, last_observed)
    return Backtest(months[origins.start : origins.stop], scores, skill_gate(scores))


def served_scores(backtest: Backtest) -> pd.DataFrame:
    """The backtest rows of what the gate serves (count scores and p_fatal from their sources)."""
    scores = backtest.scores
    parts = []
    for (tier, horizon), decision in backtest.gate.items():
        where = (scores["tier"] == tier) & (scores["horizon"] == horizon)
        counts = scores[where & (scores["forecaster"] == decision.counts)].set_index(["origin", "unit"])
        fatal = scores[where & (scores["forecaster"] == decision.p_fatal)].set_index(["origin", "unit"])
        if not len(counts):
            continue
        merged = counts.copy()
        for column in ("brier", "p_fatal"):
            merged[column] = fatal[column].reindex(merged.index)
        parts.append(merged.reset_index().assign(forecaster="served"))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def summary(backtest: Backtest, level: str) -> dict[str, Any]:
    """The backtest as a JSON-ready document: scores, skills, coverage, reliability, words, gate."""
    scores = pd.concat([backtest.scores, served_scores(backtest)], ignore_index=True)
    rows = []
    if len(scores):
        for (horizon, tier), part in scores.groupby(["horizon", "tier"], sort=True):
            means = part.groupby("forecaster")[["crps", "brier", "cover50", "cover90"]].mean()
            counts = part.groupby("forecaster").size()
            for name in (*FORECASTERS, "served"):
                if name not in means.index:
                    continue
                row = means.loc[name]
                rows.append(
                    {
                        "horizon": int(horizon),
                        "tier": str(tier),
                        "forecaster": name,
                        "unit_months": int(counts[name]),
                        "crps": _num(row["crps"]),
                        "crps_skill": {
                            base: _skill(row["crps"], means.loc[base, "crps"]) for base in COUNT_BASELINES
                        },
                        "brier": _num(row["brier"]),
                        "brier_skill": {
                            base: _skill(row["brier"], means.loc[base, "brier"]) for base in FATAL_BASELINES
                        },
                        "coverage_50": _num(row["cover50"]),
                        "coverage_90": _num(row["cover90"]),
                    }
                )
    return {
        "level": level,
        "origins": [str(month) for month in backtest.months],
        "horizons": list(HORIZONS),
        "tiers": {"active": "an incident in the 12 months up to the origin", "quiet": "none"},
        "gate": [
            {
                "tier": d.tier,
                "horizon": d.horizon,
                "counts": d.counts,
                "p_fatal": d.p_fatal,
                "served_by": d.served_by,
            }
            for d in backtest.gate.values()
        ],
        "scores": rows,
        "reliability": reliability(scores),
        "likelihood_words": word_record(scores),
    }


def reliability(scores: pd.DataFrame) -> list[dict[str, Any]]:
    """Per forecaster and horizon, ``p_fatal`` in tenths: how often a fatal incident followed."""
    if not len(scores):
        return []
    table = scores.assign(
        bin=np.minimum((scores["p_fatal"] * RELIABILITY_BINS).astype(int), RELIABILITY_BINS - 1)
    )
    grouped = table.groupby(["forecaster", "horizon", "bin"]).agg(
        unit_months=("p_fatal", "size"), mean_p=("p_fatal", "mean"), observed=("fatal_happened", "mean")
    )
    return [
        {
            "forecaster": str(name),
            "horizon": int(horizon),
            "p_from": int(bin_) / RELIABILITY_BINS,
            "p_to": (int(bin_) + 1) / RELIABILITY_BINS,
            "unit_months": int(row["unit_months"]),
            "mean_p": _num(row["mean_p"]),
            "observed": _num(row["observed"]),
        }
        for (name, horizon, bin_), row in grouped.iterrows()
    ]


def word_record(scores: pd.DataFrame) -> list[dict[str, Any]]:
    """For the served p_fatal: per ICD 203 word, how often a fatal incident followed in the backtest."""
    served = scores[scores["forecaster"] == "served"] if len(scores) else scores
    if not len(served):
        return []
    words = pd.Series(likelihood_words(served["p_fatal"].to_numpy()), index=served.index)
    out = []
    for word in ICD203_WORDS:
        part = served[words == word]
        if len(part):
            out.append(
                {
                    "likelihood": word,
                    "unit_months": len(part),
                    "came_true": _num(part["fatal_happened"].mean()),
                }
            )
    return out


def _skill(score: float, reference: float) -> float | None:
    if not np.isfinite(score) or not np.isfinite(reference) or reference <= 0:
        return None
    return round(1.0 - float(score) / float(reference), 4)


def _num(value: Any) -> float | None:
    number = float(value)
    return round(number, 4) if np.isfinite(number) else None
