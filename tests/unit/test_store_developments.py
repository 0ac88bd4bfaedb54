"""Key developments in the store: seeded, validated, edited, deleted, audited (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest

from incidents.auth import Role, User
from incidents.developments import load_key_developments
from incidents.errors import DevelopmentError, DevelopmentNotFoundError, IncidentsError, StoreError
from incidents.store import IncidentStore
from incidents.store.developments import (
    DEVELOPMENT_FIELDS,
    add_development,
    delete_development,
    list_developments,
    update_development,
)

VALID: dict[str, Any] = {
    "date": date(2025, 10, 1),
    "date_precision": "day",
    "scope": "mli",
    "title": "  Fuel blockade around Bamako  ",
    "category": "conflict",
    "source": "analyst note",
}


def _audit_actions(store: IncidentStore) -> list[str]:
    return store.audit_log()["action"].tolist()


def test_seeded_from_the_shipped_csv(store: IncidentStore) -> None:
    listed = list_developments(store)
    shipped = load_key_developments()
    assert list(listed.columns) == list(DEVELOPMENT_FIELDS)
    assert len(listed) == len(shipped)
    assert listed["title"].tolist() == shipped["title"].tolist()
    assert pd.api.types.is_datetime64_dtype(listed["date"])
    assert (listed["updated_by"] == "shipped").all()
    assert pd.Timestamp("2025-09-20") in set(listed["date"])


def test_add_validates_normalises_audits_and_bumps_version(store: IncidentStore) -> None:
    version = store.data_version()
    new_id = add_development(store, **VALID, by=User("analyst", Role.ANALYST))
    listed = list_developments(store).set_index("development_id")
    row = listed.loc[new_id]
    assert row["date"] == pd.Timestamp("2025-10-01")
    assert row["scope"] == "MLI"
    assert row["title"] == "Fuel blockade around Bamako"
    assert row["updated_by"] == "analyst"
    assert store.data_version() == version + 1
    audit = store.audit_log()
    assert audit["action"].iloc[-1] == "development_add"
    assert audit["user_name"].iloc[-1] == "analyst"
    assert "Fuel blockade" in audit["details"].iloc[-1]


def test_add_accepts_iso_text_and_sahel_scope(store: IncidentStore) -> None:
    new_id = add_development(
        store, **{**VALID, "date": "2025-11-02", "scope": "sahel"}, by=User("a", Role.ANALYST)
    )
    row = list_developments(store).set_index("development_id").loc[new_id]
    assert row["date"] == pd.Timestamp("2025-11-02")
    assert row["scope"] == "SAHEL"


@pytest.mark.parametrize(
    ("field", "value", "quoted"),
    [
        ("date", "2025-13-01", "2025-13-01"),
        ("date", "01/10/2025", "01/10/2025"),
        ("date", None, "None"),
        ("date_precision", "year", "year"),
        ("scope", "Mali", "Mali"),
        ("scope", "M1L", "M1L"),
        ("scope", "", "''"),
        ("title", "   ", "title is empty"),
        ("category", "x" * 40, "x" * 40),
    ],
)
def test_invalid_values_raise_typed_errors_and_write_nothing(
    store: IncidentStore, field: str, value: object, quoted: str
) -> None:
    before = list_developments(store)
    version = store.data_version()
    with pytest.raises(DevelopmentError, match=quoted) as caught:
        add_development(store, **{**VALID, field: value}, by=User("a", Role.ANALYST))
    assert isinstance(caught.value, IncidentsError)
    assert len(list_developments(store)) == len(before)
    assert store.data_version() == version


def test_precision_error_names_the_allowed_set(store: IncidentStore) -> None:
    with pytest.raises(DevelopmentError, match=r"\['day', 'week', 'month'\]"):
        add_development(store, **{**VALID, "date_precision": "decade"}, by=User("a", Role.ANALYST))


def test_update_changes_only_given_fields(store: IncidentStore) -> None:
    new_id = add_development(store, **VALID, by=User("a", Role.ANALYST))
    version = store.data_version()
    update_development(
        store, new_id, title="Fuel blockade of Bamako", date="2025-09-30", by=User("b", Role.ANALYST)
    )
    row = list_developments(store).set_index("development_id").loc[new_id]
    assert row["title"] == "Fuel blockade of Bamako"
    assert row["date"] == pd.Timestamp("2025-09-30")
    assert row["category"] == "conflict"
    assert row["updated_by"] == "b"
    assert store.data_version() == version + 1
    audit = store.audit_log().iloc[-1]
    assert audit["action"] == "development_edit"
    assert "changed: date, title" in audit["details"]


def test_update_without_change_writes_nothing(store: IncidentStore) -> None:
    new_id = add_development(store, **VALID, by=User("a", Role.ANALYST))
    version = store.data_version()
    update_development(store, new_id, title=VALID["title"], by=User("b", Role.ANALYST))
    assert store.data_version() == version
    assert _audit_actions(store).count("development_edit") == 0


def test_update_rejects_invalid_value(store: IncidentStore) -> None:
    new_id = add_development(store, **VALID, by=User("a", Role.ANALYST))
    with pytest.raises(DevelopmentError, match="scope"):
        update_development(store, new_id, scope="WORLD", by=User("b", Role.ANALYST))
    assert list_developments(store).set_index("development_id").loc[new_id, "scope"] == "MLI"


def test_delete_removes_row_and_audits(store: IncidentStore) -> None:
    new_id = add_development(store, **VALID, by=User("a", Role.ANALYST))
    count = len(list_developments(store))
    version = store.data_version()
    delete_development(store, new_id, by=User("c", Role.ANALYST))
    listed = list_developments(store)
    assert len(listed) == count - 1
    assert new_id not in set(listed["development_id"])
    assert store.data_version() == version + 1
    audit = store.audit_log().iloc[-1]
    assert (audit["action"], audit["user_name"]) == ("development_delete", "c")
    assert "Fuel blockade" in audit["details"]


@pytest.mark.parametrize("operation", ["update", "delete"])
def test_unknown_id_is_a_store_error(store: IncidentStore, operation: str) -> None:
    with pytest.raises(DevelopmentNotFoundError, match="999999") as caught:
        if operation == "update":
            update_development(store, 999_999, title="x", by=User("a", Role.ANALYST))
        else:
            delete_development(store, 999_999, by=User("a", Role.ANALYST))
    assert isinstance(caught.value, StoreError)


def test_text_is_stored_verbatim_not_interpreted(store: IncidentStore) -> None:
    """Parameterised SQL: quotes and SQL fragments are just text."""
    title = "Robert'); DROP TABLE key_developments;--"
    new_id = add_development(store, **{**VALID, "title": title}, by=User("a", Role.ANALYST))
    row = list_developments(store).set_index("development_id").loc[new_id]
    assert row["title"] == title
