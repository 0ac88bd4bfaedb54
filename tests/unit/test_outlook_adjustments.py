"""Analysts' outlook adjustments (SQLite and PostgreSQL): validation, versions, audit, roles, what-if."""

from __future__ import annotations

import pandas as pd
import pytest

from incidents.auth import PermissionDenied, Role, User
from incidents.errors import AdjustmentError, AdjustmentNotFoundError, IncidentsError
from incidents.outlook.adjustments import (
    AdjustmentVersion,
    adjust_unit,
    adjustment_history,
    apply_adjustments,
    list_adjustments,
    remove_unit_adjustment,
    whatif_columns,
)
from incidents.store import IncidentStore
from incidents.store.outlook_adjustments import ADJUSTMENT_COLUMNS

ANA = User("ana", Role.ANALYST)
ADAM = User("adam", Role.ADMIN)
VERA = User("vera", Role.VIEWER)
GONE = User("gone", Role.ADMIN, disabled=True)


# ---- recording, versions, audit ---------------------------------------------------------


def test_an_adjustment_is_stored_as_version_one_audited_and_bumps_the_data_version(
    store: IncidentStore,
) -> None:
    before = store.data_version()
    recorded = adjust_unit(store, "bf-bal", 25, "  convoy season  ", by=ANA)
    assert recorded == AdjustmentVersion("admin2", "BF-BAL", 1)  # stored as the level spells it
    assert store.data_version() == before + 1
    current = list_adjustments(store)
    assert current[["level", "unit_code", "version", "status", "percent", "note", "created_by"]].to_dict(
        "records"
    ) == [
        {
            "level": "admin2",
            "unit_code": "BF-BAL",
            "version": 1,
            "status": "active",
            "percent": 25.0,
            "note": "convoy season",
            "created_by": "ana",
        }
    ]
    audit = store.audit_log()
    last = audit.iloc[-1]
    assert (last["user_name"], last["action"]) == ("ana", "outlook_adjust")
    assert last["details"] == "admin2 BF-BAL version 1: active +25 %: convoy season"


def test_replacing_and_removing_write_new_versions_and_keep_the_history(store: IncidentStore) -> None:
    adjust_unit(store, "BF-BAL", 25, "convoy season", by=ANA)
    assert adjust_unit(store, "BF-BAL", -10, "revised after the rains", by=ADAM).version == 2
    current = list_adjustments(store, "admin2")
    assert current[["version", "percent", "created_by"]].to_dict("records") == [
        {"version": 2, "percent": -10.0, "created_by": "adam"}
    ]
    removed = remove_unit_adjustment(store, "bf-bal", by=ANA, note="season over")
    assert removed == AdjustmentVersion("admin2", "BF-BAL", 3)
    assert list_adjustments(store).empty
    history = adjustment_history(store, "BF-BAL")
    assert history["version"].tolist() == [1, 2, 3]
    assert history["status"].tolist() == ["active", "active", "removed"]
    assert history["note"].tolist() == ["convoy season", "revised after the rains", "season over"]
    assert history["created_by"].tolist() == ["ana", "adam", "ana"]
    assert history["created_at"].is_monotonic_increasing
    assert str(history["created_at"].dt.tz) == "UTC"
    actions = store.audit_log()["action"].tolist()
    assert actions[-3:] == ["outlook_adjust", "outlook_adjust", "outlook_adjust_remove"]
    # and back again: a removed adjustment can be recorded anew, as version 4
    assert adjust_unit(store, "BF-BAL", 50, "new offensive", by=ANA).version == 4
    assert list_adjustments(store)["version"].tolist() == [4]


def test_levels_keep_their_own_units_and_versions(store: IncidentStore) -> None:
    adjust_unit(store, "BF-BAL", 10, "district", by=ANA)
    adjust_unit(store, "C1", 40, "corridor", level="corridor", by=ANA)
    adjust_unit(store, "BF-01", -20, "region", level="admin1", by=ANA)
    assert set(list_adjustments(store)["level"]) == {"admin1", "admin2", "corridor"}
    assert list_adjustments(store, "corridor")["unit_code"].tolist() == ["C1"]
    assert set(list_adjustments(store)["version"]) == {1}
    assert adjustment_history(store, "C1").empty  # admin2 is the default level
    assert len(adjustment_history(store, "C1", level="corridor")) == 1


def test_removing_what_is_not_in_force_is_refused(store: IncidentStore) -> None:
    with pytest.raises(AdjustmentNotFoundError, match=r"no admin2 adjustment of 'BF-BAL' is in force.*none"):
        remove_unit_adjustment(store, "BF-BAL", by=ANA)
    adjust_unit(store, "BF-BAL", 10, "x", by=ANA)
    remove_unit_adjustment(store, "BF-BAL", by=ANA)
    with pytest.raises(AdjustmentNotFoundError):
        remove_unit_adjustment(store, "BF-BAL", by=ANA)
    assert len(adjustment_history(store, "BF-BAL")) == 2


# ---- validation -------------------------------------------------------------------------


@pytest.mark.parametrize("percent", [-90, -90.0, 0, 12.5, 300])
def test_percent_within_the_range_is_accepted(sqlite_store: IncidentStore, percent: float) -> None:
    adjust_unit(sqlite_store, "BF-BAL", percent, "edge", by=ANA)
    assert list_adjustments(sqlite_store)["percent"].tolist() == [float(percent)]


@pytest.mark.parametrize("percent", [-90.01, -100, 300.5, 1000, float("nan"), float("inf"), "ten"])
def test_percent_outside_the_range_is_refused(sqlite_store: IncidentStore, percent: object) -> None:
    with pytest.raises(AdjustmentError, match="percent"):
        adjust_unit(sqlite_store, "BF-BAL", percent, "why", by=ANA)  # type: ignore[arg-type]
    assert list_adjustments(sqlite_store).empty


@pytest.mark.parametrize("note", ["", "   ", None])
def test_a_note_is_required(sqlite_store: IncidentStore, note: str | None) -> None:
    with pytest.raises(AdjustmentError, match="a note is required"):
        adjust_unit(sqlite_store, "BF-BAL", 10, note, by=ANA)  # type: ignore[arg-type]
    with pytest.raises(AdjustmentError, match="at most 2000"):
        adjust_unit(sqlite_store, "BF-BAL", 10, "x" * 2001, by=ANA)
    assert sqlite_store.audit_log().query("action == 'outlook_adjust'").empty


def test_an_unknown_unit_is_refused_with_known_codes(sqlite_store: IncidentStore) -> None:
    with pytest.raises(AdjustmentError) as caught:
        adjust_unit(sqlite_store, "Menaka", 10, "why", by=ANA)
    message = str(caught.value)
    assert "unknown admin2 unit code 'Menaka'" in message
    assert "ML.GA.MN" in message  # found by its name
    with pytest.raises(AdjustmentError, match=r"known codes include ML\."):
        adjust_unit(sqlite_store, "ML-XX", 10, "why", by=ANA)  # same country prefix
    with pytest.raises(AdjustmentError, match=r"unknown corridor unit code 'C99'.*C9"):
        adjust_unit(sqlite_store, "C99", 10, "why", level="corridor", by=ANA)
    with pytest.raises(AdjustmentError, match="level 'admin3'"):
        adjust_unit(sqlite_store, "BF-BAL", 10, "why", level="admin3", by=ANA)
    assert list_adjustments(sqlite_store).empty


def test_corridor_units_are_the_stores_active_corridors(sqlite_store: IncidentStore) -> None:
    from incidents.store.corridors import retire_corridor

    retire_corridor(sqlite_store, "C5", by=ANA)
    with pytest.raises(AdjustmentError, match="unknown corridor unit code 'C5'"):
        adjust_unit(sqlite_store, "C5", 10, "why", level="corridor", by=ANA)
    assert adjust_unit(sqlite_store, "c4", 10, "why", level="corridor", by=ANA).unit_code == "C4"


# ---- roles ------------------------------------------------------------------------------


def test_viewers_and_disabled_accounts_may_not_adjust(sqlite_store: IncidentStore) -> None:
    with pytest.raises(PermissionDenied, match=r"viewer 'vera' may not adjust the outlook.*analyst role"):
        adjust_unit(sqlite_store, "BF-BAL", 10, "why", by=VERA)
    adjust_unit(sqlite_store, "BF-BAL", 10, "why", by=ANA)
    with pytest.raises(PermissionDenied, match="viewer 'vera' may not adjust the outlook"):
        remove_unit_adjustment(sqlite_store, "BF-BAL", by=VERA)
    with pytest.raises(PermissionDenied, match="disabled"):
        adjust_unit(sqlite_store, "BF-BAL", 20, "why", by=GONE)
    # refused before anything is checked or written: even an invalid request says "permission"
    with pytest.raises(PermissionDenied):
        adjust_unit(sqlite_store, "NOPE", 999, "", by=VERA)
    assert adjustment_history(sqlite_store, "BF-BAL")["created_by"].tolist() == ["ana"]
    assert isinstance(PermissionDenied("x"), IncidentsError)


# ---- the what-if ------------------------------------------------------------------------


def _outlook() -> pd.DataFrame:
    rows = []
    for code, name, quantiles in (
        ("BF-BAL", "Balé", (0, 1, 3, 5, 9)),
        ("ML.GA.MN", "Ménaka", (2, 4, 6, 8, 13)),
        ("NE-TIL", "Tillabéri", (0, 0, 0, 0, 1)),
    ):
        for horizon in (1, 2):
            rows.append(
                {
                    "unit_code": code,
                    "unit_name": name,
                    "level": "admin2",
                    "origin": "2025-11",
                    "month": f"2025-{11 + horizon:02d}" if horizon == 1 else "2026-01",
                    "horizon": horizon,
                    "p_fatal": 0.4,
                    **dict(
                        zip(
                            ("count_q05", "count_q25", "count_q50", "count_q75", "count_q95"),
                            quantiles,
                            strict=True,
                        )
                    ),
                    "p_surge": 0.1,
                    "served_by": "M2",
                    "likelihood": "unlikely",
                }
            )
    return pd.DataFrame(rows)


def _adjustments(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "level": level,
                "unit_code": code,
                "version": 2,
                "status": "active",
                "percent": percent,
                "note": f"note {code}",
                "created_by": "ana",
                "created_at": pd.Timestamp("2025-12-01", tz="UTC"),
            }
            for level, code, percent in rows
        ],
        columns=list(ADJUSTMENT_COLUMNS),
    )


def test_the_what_if_scales_only_the_count_quantiles_of_adjusted_units() -> None:
    outlook = _outlook()
    kept = outlook.copy()
    whatif = apply_adjustments(
        outlook,
        _adjustments(("admin2", "ML.GA.MN", 50), ("admin2", "NE-TIL", 300), ("corridor", "BF-BAL", 100)),
    )
    pd.testing.assert_frame_equal(outlook, kept)  # the forecast is untouched
    assert list(whatif.columns) == whatif_columns()
    assert not {"p_fatal", "p_surge", "likelihood", "served_by"} & set(whatif.columns)
    assert whatif[["unit_code", "horizon"]].to_records(index=False).tolist() == [
        ("ML.GA.MN", 1),
        ("ML.GA.MN", 2),
        ("NE-TIL", 1),
        ("NE-TIL", 2),
    ]  # the outlook's order; BF-BAL's adjustment is for another level
    menaka = whatif.iloc[0]
    assert [menaka[f"whatif_count_q{q}"] for q in ("05", "25", "50", "75", "95")] == [
        3,
        6,
        9,
        12,
        20,
    ]  # 19.5 up
    tillaberi = whatif.iloc[2]
    assert [tillaberi[f"whatif_count_q{q}"] for q in ("05", "25", "50", "75", "95")] == [0, 0, 0, 0, 4]
    assert menaka["adjustment_percent"] == 50.0
    assert (menaka["adjustment_note"], menaka["adjustment_version"], menaka["adjusted_by"]) == (
        "note ML.GA.MN",
        2,
        "ana",
    )
    assert whatif["whatif_count_q50"].dtype == "int64"


def test_a_cut_rounds_half_up_and_keeps_the_quantiles_in_order() -> None:
    whatif = apply_adjustments(
        _outlook(), _adjustments(("admin2", "BF-BAL", -50), ("admin2", "ML.GA.MN", -90))
    )
    quantiles = [f"whatif_count_q{q}" for q in ("05", "25", "50", "75", "95")]
    assert whatif.loc[0, quantiles].tolist() == [0, 1, 2, 3, 5]  # 0.5, 1.5, 2.5, 4.5 round up
    assert whatif.loc[2, quantiles].tolist() == [0, 0, 1, 1, 1]  # 0.2, 0.4, 0.6, 0.8, 1.3
    assert (whatif[quantiles].diff(axis=1).fillna(0) >= 0).all().all()


def test_no_adjustment_gives_an_empty_what_if_with_its_columns() -> None:
    empty = apply_adjustments(_outlook(), _adjustments())
    assert empty.empty and list(empty.columns) == whatif_columns()


def test_the_what_if_of_stored_adjustments(sqlite_store: IncidentStore) -> None:
    adjust_unit(sqlite_store, "ML.GA.MN", 100, "double", by=ANA)
    adjust_unit(sqlite_store, "BF-BAL", 100, "gone again", by=ANA)
    remove_unit_adjustment(sqlite_store, "BF-BAL", by=ANA)
    whatif = apply_adjustments(_outlook(), list_adjustments(sqlite_store))
    assert set(whatif["unit_code"]) == {"ML.GA.MN"}
    assert whatif["whatif_count_q50"].tolist() == [12, 12]
