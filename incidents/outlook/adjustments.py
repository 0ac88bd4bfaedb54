"""Analysts' adjustments of the outlook: "± N % for this unit, because ..." as a what-if.

An analyst (role analyst or admin, permission ``adjust_outlook``) records, for one unit of a
level (admin-1, admin-2 or corridor), a percentage between -90 and +300 and a note saying
why. The outlook itself never changes: :func:`apply_adjustments` returns a separate
**what-if** frame shown beside the forecast, never instead of it.

What the what-if changes, and only that: the five count quantiles (``count_q05`` …
``count_q95``) of each adjusted unit are multiplied by ``1 + percent / 100`` and rounded to
whole incidents (halves up): the forecast count distribution scaled, so its expected level
moves by the percentage and its spread with it. A unit forecast at zero stays at zero. Nothing
else is recomputed: ``p_fatal``, ``p_surge``, ``likelihood`` and ``served_by`` are the
forecast's and are not in the what-if frame, so no probability is ever presented as adjusted.

Adjustments are stored, versioned and audited like corridors
(:mod:`incidents.store.outlook_adjustments`): a change or a removal is a new version; the
history of a unit is kept. Method and limits: docs/methodology.md, 'Outlook', 'Analysts'
adjustments'.
"""

from __future__ import annotations

import math
from difflib import get_close_matches
from typing import Final, NamedTuple

import numpy as np
import pandas as pd

from geodata.corridors import CorridorsLike
from incidents.auth.roles import Permission, User, require
from incidents.errors import AdjustmentError
from incidents.i18n import _
from incidents.risk.units import RISK_LEVELS_OF_UNITS, UnitLevel, unit_names
from incidents.store.corridors import active_corridor_segments
from incidents.store.outlook_adjustments import (
    adjustment_versions,
    adjustments_in_force,
    remove_adjustment,
    write_adjustment,
)
from incidents.store.sql import IncidentStore

MIN_PERCENT: Final = -90.0
MAX_PERCENT: Final = 300.0
MAX_NOTE_CHARS: Final = 2000
DEFAULT_LEVEL: Final = "admin2"
_HINTS: Final = 8


class AdjustmentVersion(NamedTuple):
    """The version a change wrote: the unit as the level spells it, and the version number."""

    level: str
    unit_code: str
    version: int


#: What the what-if adds to each outlook row it keeps (the unit's adjustment in force).
ADJUSTMENT_FIELDS: Final = {
    "percent": "adjustment_percent",
    "note": "adjustment_note",
    "version": "adjustment_version",
    "created_by": "adjusted_by",
}


def whatif_columns() -> list[str]:
    """Columns of :func:`apply_adjustments`: the outlook's identifying columns (``unit_code`` …
    ``horizon``), the adjustment's percentage, the scaled count quantiles (``whatif_count_q05`` …),
    then the adjustment's note, version and author."""
    from incidents.outlook.forecast import OUTLOOK_COLUMNS  # the engine: loaded only when wanted

    keys = OUTLOOK_COLUMNS[: OUTLOOK_COLUMNS.index("p_fatal")]
    quantiles = [f"whatif_{name}" for name in _count_quantiles()]
    percent, *about = ADJUSTMENT_FIELDS.values()  # adjustment_percent, then note, version, author
    return [*keys, percent, *quantiles, *about]


def _count_quantiles() -> list[str]:
    from incidents.outlook.forecast import OUTLOOK_COLUMNS

    return [name for name in OUTLOOK_COLUMNS if name.startswith("count_q")]


# ---- recording --------------------------------------------------------------------------


def adjust_unit(
    store: IncidentStore,
    unit_code: str,
    percent: float,
    note: str,
    *,
    level: str = DEFAULT_LEVEL,
    by: User,
    corridors: CorridorsLike = None,
) -> AdjustmentVersion:
    """Record (or replace) the adjustment of one unit as a new version; returns it.

    Refuses (:class:`~incidents.errors.AdjustmentError`) a percentage outside -90..+300, an
    empty note, an unknown level, or a unit code the level does not have (the message names
    close known codes). A code is matched regardless of case and stored as the level spells
    it. For corridors, the known units are ``corridors`` (default: the store's active ones).
    """
    require(by, Permission.ADJUST_OUTLOOK, target=f"({level} {unit_code})")
    chosen = _check_level(level)
    value = _check_percent(percent)
    text = _check_note(note)
    if chosen == "corridor" and corridors is None:
        corridors = active_corridor_segments(store)
    code = _known_unit(chosen, unit_code, corridors)
    return AdjustmentVersion(chosen, code, write_adjustment(store, chosen, code, value, text, by=by))


def remove_unit_adjustment(
    store: IncidentStore, unit_code: str, *, level: str = DEFAULT_LEVEL, by: User, note: str = ""
) -> AdjustmentVersion:
    """Mark the unit's adjustment removed (a new version; its history stays); returns it.

    The code is matched regardless of case against the adjustments in force, so a unit that
    no longer exists (a retired corridor) can still be cleared.
    """
    require(by, Permission.ADJUST_OUTLOOK, target=f"({level} {unit_code})")
    chosen = _check_level(level)
    in_force = adjustments_in_force(store, chosen)["unit_code"].astype(str)
    same = [code for code in in_force if code.casefold() == str(unit_code).strip().casefold()]
    code = same[0] if same else str(unit_code).strip()
    return AdjustmentVersion(chosen, code, remove_adjustment(store, chosen, code, by=by, note=note))


# ---- reading ----------------------------------------------------------------------------


def list_adjustments(store: IncidentStore, level: str | None = None) -> pd.DataFrame:
    """The adjustments in force (of one level, or all): the latest active version of each unit."""
    return adjustments_in_force(store, None if level is None else _check_level(level))


def adjustment_history(store: IncidentStore, unit_code: str, *, level: str = DEFAULT_LEVEL) -> pd.DataFrame:
    """Every version of one unit's adjustment, oldest first (removals included)."""
    chosen = _check_level(level)
    versions = adjustment_versions(store, chosen)
    wanted = str(unit_code).strip().casefold()
    return versions[versions["unit_code"].astype(str).str.casefold() == wanted].reset_index(drop=True)


# ---- applying ---------------------------------------------------------------------------


def apply_adjustments(outlook: pd.DataFrame, adjustments: pd.DataFrame) -> pd.DataFrame:
    """The what-if frame (:func:`whatif_columns`) of ``outlook`` under ``adjustments``; pure.

    ``outlook``: the outlook table (``incidents.outlook.forecast.OUTLOOK_COLUMNS``);
    ``adjustments``: :func:`list_adjustments`. One row per adjusted unit of the outlook's
    level and horizon, in the outlook's order; units without an adjustment, and adjustments
    of other levels or of units the outlook lacks, give no row. Only the count quantiles are
    scaled (module docstring); ``outlook`` itself is not modified.
    """
    wanted = adjustments.loc[adjustments["status"] == "active"] if "status" in adjustments else adjustments
    chosen = wanted[["level", "unit_code", *ADJUSTMENT_FIELDS]].rename(columns=ADJUSTMENT_FIELDS)
    merged = outlook.merge(chosen, on=["level", "unit_code"], how="inner", validate="many_to_one")
    factor = 1.0 + merged["adjustment_percent"].to_numpy(dtype=np.float64) / 100.0
    for name in _count_quantiles():
        scaled = merged[name].to_numpy(dtype=np.float64) * factor
        merged[f"whatif_{name}"] = np.floor(np.round(scaled, 9) + 0.5).astype(np.int64)
    return merged[whatif_columns()].reset_index(drop=True)


# ---- checks -----------------------------------------------------------------------------


def _check_level(level: str) -> UnitLevel:
    if level not in RISK_LEVELS_OF_UNITS:
        raise AdjustmentError(f"level {level!r} is not one of {', '.join(RISK_LEVELS_OF_UNITS)}")
    return level  # type: ignore[return-value]  # checked just above


def _check_percent(percent: float) -> float:
    try:
        value = float(percent)
    except (TypeError, ValueError):
        raise AdjustmentError(_("percent {value} is not a number").format(value=repr(percent))) from None
    if not math.isfinite(value) or not MIN_PERCENT <= value <= MAX_PERCENT:
        raise AdjustmentError(
            _(
                "percent {value} is outside {low} .. {high} (-90 leaves a tenth of the forecast count, "
                "+300 quadruples it)"
            ).format(value=f"{value:g}", low=f"{MIN_PERCENT:+.0f}", high=f"{MAX_PERCENT:+.0f}")
        )
    return value


def _check_note(note: str) -> str:
    text = str(note or "").strip()
    if not text:
        raise AdjustmentError(_("a note is required: say why the outlook should be adjusted"))
    if len(text) > MAX_NOTE_CHARS:
        raise AdjustmentError(
            _("the note has {count} characters; at most {most}").format(count=len(text), most=MAX_NOTE_CHARS)
        )
    return text


def _known_unit(level: UnitLevel, unit_code: str, corridors: CorridorsLike) -> str:
    """``unit_code`` as the level spells it; an unknown one raises, naming close known codes."""
    units = unit_names(level, corridors)
    codes = units["unit_code"].astype(str).tolist()
    typed = str(unit_code).strip()
    by_fold = {code.casefold(): code for code in codes}
    if typed.casefold() in by_fold:
        return by_fold[typed.casefold()]
    named = units.loc[units["unit_name"].astype(str).str.casefold() == typed.casefold(), "unit_code"]
    close = [*named.astype(str)]
    close += [
        by_fold[match]
        for match in get_close_matches(typed.casefold(), list(by_fold), n=_HINTS, cutoff=0.5)
        if by_fold[match] not in close
    ]
    if not close:  # the same country prefix ("ML", "BF"), else the first codes
        close = [code for code in codes if code[:2].casefold() == typed[:2].casefold()]
    if not codes:
        raise AdjustmentError(f"unknown {level} unit code {typed!r}: there are no {level} units")
    hint = ", ".join(close[:_HINTS]) if close else ", ".join(codes[:_HINTS]) + ", …"
    raise AdjustmentError(
        f"unknown {level} unit code {typed!r}; known codes include {hint} ({len(codes)} {level} units; "
        f"`python -m incidents risk --level {level} --out FILE.csv` lists them all)"
    )
