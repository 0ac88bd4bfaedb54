"""Saved views in the store, on SQLite and PostgreSQL: create, update, rename, reorder, delete."""

from __future__ import annotations

import pytest

from incidents.auth import Role, User
from incidents.errors import IncidentsError, StoreError, ViewError, ViewExistsError, ViewNotFoundError
from incidents.query import IncidentFilter
from incidents.store import IncidentStore
from incidents.store.saved_views import (
    SavedView,
    delete_view,
    get_view,
    list_views,
    load_views,
    move_view,
    rename_view,
    save_view,
)


def _view(name: str, **kwargs: object) -> SavedView:
    return SavedView(name=name, **kwargs)  # type: ignore[arg-type]


def _names(store: IncidentStore) -> list[str]:
    return list(list_views(store)["name"])


def test_round_trip_keeps_every_field(store: IncidentStore) -> None:
    chosen = IncidentFilter(countries=("MLI", "BFA"), preset="all", event_types=("battle",), min_fatalities=2)
    query = "&".join(
        f"{key}={value}"
        for key, values in chosen.to_query_params().items()
        for value in ([values] if isinstance(values, str) else values)
    )
    view = _view(
        " mopti ",
        title="Mopti, last year",
        notes="Say: JNIM pressure rising",
        query=f"{query}&basemap=none&map_heat=count",
        center_lat=14.5,
        center_lon=-4.2,
        zoom=7,
        layers=["heat:count", "hexagons"],
    )
    version = store.data_version()
    view_id = save_view(store, view, by=User("ana", Role.ANALYST))
    assert store.data_version() > version
    got = get_view(store, "mopti")
    assert got is not None
    assert (got.view_id, got.name, got.title, got.notes) == (view_id, "mopti", "Mopti, last year", view.notes)
    assert got.center == (14.5, -4.2) and got.zoom == 7
    assert got.layers == ("heat:count", "hexagons")
    assert got.position == 1 and got.created_by == "ana" and got.updated_at is not None
    assert got.incident_filter(["NER"]) == chosen
    assert got.query_params()["map_heat"] == ["count"]
    assert get_view(store, "nope") is None
    assert store.audit_log()["action"].tolist()[-1] == "view_create"


def test_save_updates_by_name_and_keeps_position(store: IncidentStore) -> None:
    first = save_view(store, _view("a", query="country=MLI"), by=User("ana", Role.ANALYST))
    save_view(store, _view("b"), by=User("ana", Role.ANALYST))
    again = save_view(store, _view("a", title="New title", query="country=NER"), by=User("bo", Role.ANALYST))
    assert again == first
    frame = list_views(store)
    assert list(frame["name"]) == ["a", "b"] and list(frame["position"]) == [1, 2]
    got = get_view(store, "a")
    assert got is not None
    assert (got.title, got.query, got.created_by) == ("New title", "country=NER", "ana")
    last = store.audit_log().iloc[-1]
    assert (last["action"], last["user_name"]) == ("view_update", "bo")


def test_title_defaults_to_the_name_and_map_position_is_optional(store: IncidentStore) -> None:
    save_view(store, _view("plain"), by=User("ana", Role.ANALYST))
    got = get_view(store, "plain")
    assert got is not None
    assert got.title == "plain" and got.center is None and got.zoom is None and got.layers == ()


def test_rename(store: IncidentStore) -> None:
    save_view(store, _view("a"), by=User("ana", Role.ANALYST))
    save_view(store, _view("b"), by=User("ana", Role.ANALYST))
    rename_view(store, "a", "alpha", by=User("ana", Role.ANALYST))
    assert _names(store) == ["alpha", "b"]
    with pytest.raises(ViewExistsError, match="'b' already exists"):
        rename_view(store, "alpha", "b", by=User("ana", Role.ANALYST))
    with pytest.raises(ViewNotFoundError, match="'zzz'"):
        rename_view(store, "zzz", "y", by=User("ana", Role.ANALYST))
    with pytest.raises(ViewError, match="empty"):
        rename_view(store, "alpha", "  ", by=User("ana", Role.ANALYST))
    assert "view_rename" in store.audit_log()["action"].tolist()


def test_move_reorders_and_clamps(store: IncidentStore) -> None:
    for name in "abcd":
        save_view(store, _view(name), by=User("ana", Role.ANALYST))
    assert move_view(store, "d", 1, by=User("ana", Role.ANALYST)) == 1
    assert _names(store) == ["d", "a", "b", "c"]
    assert move_view(store, "d", 99, by=User("ana", Role.ANALYST)) == 4
    assert _names(store) == ["a", "b", "c", "d"]
    assert move_view(store, "b", 0, by=User("ana", Role.ANALYST)) == 1
    assert _names(store) == ["b", "a", "c", "d"]
    assert list(list_views(store)["position"]) == [1, 2, 3, 4]
    with pytest.raises(ViewError):
        move_view(store, "b", "2", by=User("ana", Role.ANALYST))  # type: ignore[arg-type]
    with pytest.raises(ViewNotFoundError):
        move_view(store, "zzz", 1, by=User("ana", Role.ANALYST))


def test_delete_closes_the_gap(store: IncidentStore) -> None:
    for name in "abc":
        save_view(store, _view(name), by=User("ana", Role.ANALYST))
    version = store.data_version()
    delete_view(store, "b", by=User("ana", Role.ANALYST))
    assert store.data_version() > version
    views = load_views(store)
    assert [(v.name, v.position) for v in views] == [("a", 1), ("c", 2)]
    with pytest.raises(ViewNotFoundError, match="saved views: \\['a', 'c'\\]"):
        delete_view(store, "b", by=User("ana", Role.ANALYST))
    assert store.audit_log()["action"].tolist()[-1] == "view_delete"
    save_view(store, _view("d"), by=User("ana", Role.ANALYST))
    assert get_view(store, "d").position == 3  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("view", "message"),
    [
        (SavedView(name=""), "empty"),
        (SavedView(name="x" * 121), "longer than 120"),
        (SavedView(name="a\nb"), "control characters"),
        (SavedView(name="a", center_lat=95.0, center_lon=0.0), "latitude"),
        (SavedView(name="a", center_lat=10.0, center_lon=None), "both latitude and longitude"),
        (SavedView(name="a", center_lat=10.0, center_lon=200.0), "longitude"),
        (SavedView(name="a", zoom=25), "zoom"),
        (SavedView(name="a", zoom="x"), "zoom"),  # type: ignore[arg-type]
        (SavedView(name="a", layers="heat"), "list of layer names"),  # type: ignore[arg-type]
        (SavedView(name="a", layers=("heat", " ")), "empty layer name"),
        (SavedView(name="a", query="a=1\nb=2"), "control characters"),
        (SavedView(name="a", query="a=1&&&b"), "not a URL query string"),
    ],
)
def test_invalid_views_are_rejected_and_nothing_is_written(
    store: IncidentStore, view: SavedView, message: str
) -> None:
    version = store.data_version()
    with pytest.raises(ViewError, match=message) as raised:
        save_view(store, view, by=User("ana", Role.ANALYST))
    assert isinstance(raised.value, IncidentsError)
    assert store.data_version() == version and list_views(store).empty


def test_error_hierarchy() -> None:
    assert issubclass(ViewNotFoundError, StoreError)
    assert issubclass(ViewExistsError, ViewError)


def test_views_are_shared_through_the_store(store: IncidentStore) -> None:
    from incidents.store import open_store

    save_view(store, _view("shared", zoom=6, center_lat=15.0, center_lon=-2.0), by=User("ana", Role.ANALYST))
    other = open_store(store.url.render_as_string(hide_password=False))
    try:
        got = get_view(other, "shared")
        assert got is not None and got.zoom == 6
    finally:
        other.close()
