"""Rolling-origin backtest and the skill gate: is a model better than naive guesses, and where?

Origins are consecutive months; at each, every model and baseline is fitted on the data up
to that origin only (expanding window) and scored on the next 1-3 months where they are
known. Scores: CRPS of the count distribution, Brier score of ``p_fatal``, coverage of the
50 % and 90 % intervals, by horizon and activity tier; skills against each baseline; a
reliability table. The gate then decides per tier and horizon what the outlook serves.
The 3-month window probability (at least one fatal incident in the three months after the
origin) combines each forecaster's monthly ``p_fatal`` and is scored with Brier where all three
months are known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from incidents.outlook.distributions import (
    QUANTILE_LEVELS,
    CountForecast,
    FloatArray,
    at_least_once,
    brier,
)
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
from incidents.outlook.wording import ICD203_WORDS, hit_rate_sentence, likelihood_words

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
#: Columns of :func:`score_origins`.
SCORE_COLUMNS: Final = (
    "origin",
    "horizon",
    "forecaster",
    "unit",
    "tier",
    "crps",
    "brier",
    "p_fatal",
    "fatal_happened",
    "cover50",
    "cover90",
)


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
    columns: dict[str, list[npt.NDArray[Any]]] = {name: [] for name in SCORE_COLUMNS}
    cache: ModelCache = {}
    for origin in origins:
        horizons = tuple(h for h in HORIZONS if origin + h <= last_observed)
        if not horizons:
            continue
        made = forecast_origin(history, origin, horizons, cache=cache, refit_every=BACKTEST_REFIT_EVERY)
        tier = np.where(made.active, "active", "quiet")
        units = np.arange(len(tier))
        for horizon in horizons:
            observed = history.counts[:, origin + horizon]
            happened = (history.fatal[:, origin + horizon] >= 1).astype(np.float64)
            for name in FORECASTERS:
                p_fatal = made.p_fatal[(name, horizon)]
                counts = made.counts.get((name, horizon))
                if counts is None:
                    crps = cover50 = cover90 = np.full(len(observed), np.nan)
                else:
                    crps = counts.crps(observed)
                    cover50, cover90 = covered(counts, observed)
                row = {
                    "origin": np.full(len(units), origin),
                    "horizon": np.full(len(units), horizon),
                    "forecaster": np.full(len(units), name, dtype=object),
                    "unit": units,
                    "tier": tier,
                    "crps": crps,
                    "brier": brier(p_fatal, happened),
                    "p_fatal": p_fatal,
                    "fatal_happened": happened,
                    "cover50": cover50,
                    "cover90": cover90,
                }
                for column, values in row.items():
                    columns[column].append(np.asarray(values))
    if not columns["origin"]:
        return pd.DataFrame()
    # One frame at the end: a frame per origin, horizon and forecaster cost seconds of pandas.
    return pd.DataFrame({name: np.concatenate(parts) for name, parts in columns.items()})


def covered(forecast: CountForecast, observed: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Whether each observed count lies in the forecast's 50 % (q25-q75) and 90 % (q05-q95) ranges.

    For whole counts and the quantile q_a (the smallest k with cdf(k) >= a), q_a <= y exactly
    when cdf(y) >= a, and y <= q_b exactly when cdf(y - 1) < b: two cdf evaluations instead of
    the quantiles (the same answer, several times faster over a backtest).
    """
    at, below = forecast.cdf(observed), forecast.cdf(observed - 1.0)
    q05, q25, _, q75, q95 = QUANTILE_LEVELS
    cover50 = ((at >= q25) & (below < q75)).astype(np.float64)
    cover90 = ((at >= q05) & (below < q95)).astype(np.float64)
    return cover50, cover90


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
        "window": window_summary(window_scores(scores)),
        "window_likelihood_words": word_record(window_scores(served_only(scores))),
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
    """For the served p_fatal: per ICD 203 word, how often a fatal incident followed in the backtest.

    Every word has a row; a word the backtest never said has ``unit_months`` 0 and
    ``came_true`` None. ``sentence`` is the wording's backtest sentence for the word.
    """
    served = served_only(scores)
    words = (
        pd.Series(likelihood_words(served["p_fatal"].to_numpy()), index=served.index)
        if len(served)
        else pd.Series([], dtype=object)
    )
    out = []
    for word in ICD203_WORDS:
        part = served[words == word] if len(served) else served
        came_true = _num(part["fatal_happened"].mean()) if len(part) else None
        out.append(
            {
                "likelihood": word,
                "unit_months": len(part),
                "came_true": came_true,
                "sentence": hit_rate_sentence(word, came_true, len(part)),
            }
        )
    return out


@dataclass(frozen=True)
class WordHits:
    """How often one ICD 203 word came true in a backtest (``came_true`` None: never said)."""

    word: str
    unit_months: int
    came_true: float | None

    @property
    def sentence(self) -> str:
        """'In the backtest, 'likely' came true 64 % of the time (...).'"""
        return hit_rate_sentence(self.word, self.came_true, self.unit_months)


def word_hits(backtest: Backtest, *, window: bool = False) -> dict[str, WordHits]:
    """Per ICD 203 word, how often the served ``p_fatal`` said with it came true in ``backtest``
    (``window``: the served 3-month window probability, over the origins whose three months are known)."""
    served = served_scores(backtest)
    record = word_record(window_scores(served) if window else served)
    return {
        row["likelihood"]: WordHits(row["likelihood"], row["unit_months"], row["came_true"]) for row in record
    }


def served_only(scores: pd.DataFrame) -> pd.DataFrame:
    """The rows of what was served (``forecaster == "served"``)."""
    return scores[scores["forecaster"] == "served"] if len(scores) else scores


#: Columns of :func:`window_scores`.
WINDOW_SCORE_COLUMNS: Final = ("origin", "unit", "forecaster", "tier", "p_fatal", "fatal_happened", "brier")


def window_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Each forecaster's 3-month window probability at each origin and unit, and its Brier score.

    Only origins where every horizon (1-3) was scored: the window probability is
    :func:`~incidents.outlook.distributions.at_least_once` of the three monthly ``p_fatal``,
    the outcome whether any of the three months had a fatal incident.
    """
    if not len(scores):
        return pd.DataFrame(columns=list(WINDOW_SCORE_COLUMNS))
    keys = ["origin", "unit", "forecaster"]
    wide = scores.pivot_table(
        index=[*keys, "tier"], columns="horizon", values=["p_fatal", "fatal_happened"], aggfunc="first"
    )
    horizons = list(HORIZONS)
    complete = wide["p_fatal"].reindex(columns=horizons).notna().all(axis=1)
    wide = wide[complete.to_numpy()]
    if not len(wide):
        return pd.DataFrame(columns=list(WINDOW_SCORE_COLUMNS))
    p = at_least_once(wide["p_fatal"][horizons].to_numpy())
    happened = (wide["fatal_happened"][horizons].to_numpy().max(axis=1) >= 1).astype(np.float64)
    out = wide.index.to_frame(index=False)
    out["p_fatal"] = p
    out["fatal_happened"] = happened
    out["brier"] = brier(p, happened)
    return out[list(WINDOW_SCORE_COLUMNS)]


def window_summary(windows: pd.DataFrame) -> list[dict[str, Any]]:
    """Per tier ("all" too) and forecaster: windows scored, Brier and Brier skill against each baseline."""
    if not len(windows):
        return []
    rows = []
    for tier, part in [("all", windows), *windows.groupby("tier", sort=True)]:
        means = part.groupby("forecaster")["brier"].mean()
        sizes = part.groupby("forecaster").size()
        for name in (*FORECASTERS, "served"):
            if name not in means.index:
                continue
            rows.append(
                {
                    "tier": str(tier),
                    "forecaster": name,
                    "unit_windows": int(sizes[name]),
                    "brier": _num(means[name]),
                    "brier_skill": {
                        base: _skill(means[name], means[base])
                        for base in FATAL_BASELINES
                        if base in means.index
                    },
                }
            )
    return rows


def _skill(score: float, reference: float) -> float | None:
    if not np.isfinite(score) or not np.isfinite(reference) or reference <= 0:
        return None
    return round(1.0 - float(score) / float(reference), 4)


def _num(value: Any) -> float | None:
    number = float(value)
    return round(number, 4) if np.isfinite(number) else None
