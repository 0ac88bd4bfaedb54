"""What a watch may be: areas, filters, recipients and delivery modes, checked when made (pure)."""

from __future__ import annotations

import json

import pytest

from incidents.alerts.watches import (
    Area,
    Filters,
    Recipients,
    Watch,
    check_delivery,
    check_email,
    check_watch,
    check_webhook_url,
    parse_delivery,
    polygon_from_geojson,
    watch_from_json,
)
from incidents.errors import WatchError

SITE = Area(kind="site", label="Mopti office", geometry_wkt="POINT (-4.18 14.49)", radius_km=25)


def a_watch(**changes: object) -> Watch:
    values: dict[str, object] = {
        "name": "Mopti office",
        "area": SITE,
        "recipients": Recipients(emails=("ops@example.org",)),
    }
    values.update(changes)
    return Watch(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.org/hook",
        "javascript:alert(1)",
        "https://",
        "example.org/hook",
        "gopher://x",
    ],
)
def test_webhooks_other_than_http_or_https_are_refused(url: str) -> None:
    with pytest.raises(WatchError, match=r"http://|names no host"):
        check_webhook_url(url)


def test_http_and_https_webhooks_are_kept_as_given() -> None:
    assert (
        check_webhook_url(" https://hooks.example.org:8443/a?b=1 ") == "https://hooks.example.org:8443/a?b=1"
    )
    assert check_webhook_url("http://127.0.0.1:9000/x") == "http://127.0.0.1:9000/x"
    with pytest.raises(WatchError, match="spaces or control"):
        check_webhook_url("https://example.org/a b")


@pytest.mark.parametrize(
    "address", ["ops", "ops@", "@example.org", "ops@example", "a b@example.org", "x@-a.org"]
)
def test_bad_addresses_are_refused(address: str) -> None:
    with pytest.raises(WatchError, match="is not an e-mail address"):
        check_email(address)


def test_delivery_modes_are_parsed_and_spelled_one_way() -> None:
    assert check_delivery("Immediate") == "immediate"
    assert check_delivery("daily@07:30") == "daily@07:30"
    assert check_delivery("weekly@mon,06:05") == "weekly@MON,06:05"
    schedule = parse_delivery("weekly@SUN,23:59")
    assert (schedule.mode, schedule.weekday, schedule.hour, schedule.minute) == ("weekly", 6, 23, 59)
    for bad in ("hourly", "daily@24:00", "daily@7:30", "weekly@XYZ,07:00", "weekly@MON,07:60"):
        with pytest.raises(WatchError):
            check_delivery(bad)


def test_areas_are_checked() -> None:
    with pytest.raises(WatchError, match="more than 0 and at most 500"):
        check_watch(a_watch(area=Area(kind="site", geometry_wkt="POINT (-4 14)", radius_km=0)))
    with pytest.raises(WatchError, match="needs a Point"):
        check_watch(a_watch(area=Area(kind="site", geometry_wkt="LINESTRING (0 0, 1 1)", radius_km=5)))
    with pytest.raises(WatchError, match="WGS84"):
        check_watch(a_watch(area=Area(kind="site", geometry_wkt="POINT (500000 1600000)", radius_km=5)))
    with pytest.raises(WatchError, match="at least one admin"):
        check_watch(a_watch(area=Area(kind="admin")))
    with pytest.raises(WatchError, match="not valid"):
        bowtie = "POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))"
        check_watch(a_watch(area=Area(kind="polygon", geometry_wkt=bowtie)))


def test_filters_and_recipients_are_checked() -> None:
    with pytest.raises(WatchError, match="unknown event type 'bombing'"):
        check_watch(a_watch(filters=Filters(event_types=("bombing",))))
    with pytest.raises(WatchError, match="unknown data source 'demo'"):
        check_watch(a_watch(filters=Filters(sources=("demo",))))
    with pytest.raises(WatchError, match="at least one recipient"):
        check_watch(a_watch(recipients=Recipients()))
    with pytest.raises(WatchError, match="control characters"):
        check_watch(a_watch(name="Mopti\x07"))


def test_a_watch_round_trips_through_its_stored_form() -> None:
    watch = check_watch(
        a_watch(
            filters=Filters(
                event_types=("battle", "abduction"), min_fatalities=2, actor_text="JNIM", sources=("acled",)
            ),
            recipients=Recipients(
                users=("Amina",), emails=("ops@example.org",), webhooks=("https://h.example.org/x",)
            ),
            delivery="weekly@fri,16:00",
        )
    )
    assert watch.recipients.users == ("amina",)
    assert watch_from_json(watch.name, watch.to_json()) == watch
    assert "secret" not in watch.to_json()


def test_polygons_come_from_geojson_features_and_nothing_else() -> None:
    square = {
        "type": "Polygon",
        "coordinates": [[[-4.5, 14.0], [-3.5, 14.0], [-3.5, 15.0], [-4.5, 15.0], [-4.5, 14.0]]],
    }
    collection = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": square}],
    }
    wkt = polygon_from_geojson(json.dumps(collection))
    assert wkt.startswith("POLYGON")
    point = {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [0, 0]}}
    with pytest.raises(WatchError, match="holds a Point"):
        polygon_from_geojson(json.dumps(point), "zone.geojson")
    with pytest.raises(WatchError, match="is not GeoJSON"):
        polygon_from_geojson("{not json", "zone.geojson")


def test_the_smtp_url_is_parsed_and_its_password_never_shown() -> None:
    from incidents.errors import SettingError
    from incidents.settings import smtp_settings

    parsed = smtp_settings({"SAHEL_SMTP_URL": "smtp://u%40x:p%2Fw@mail.example.org:2525?from=a@b.org"})
    assert parsed is not None
    assert (parsed.host, parsed.port, parsed.implicit_tls) == ("mail.example.org", 2525, False)
    assert (parsed.user, parsed.password, parsed.sender) == ("u@x", "p/w", "a@b.org")
    assert "p/w" not in repr(parsed) and parsed.describe() == "smtp://mail.example.org:2525"
    implicit = smtp_settings({"SAHEL_SMTP_URL": "smtps://mail.example.org"})
    assert implicit is not None and (implicit.port, implicit.implicit_tls) == (465, True)
    assert smtp_settings({}) is None
    for bad in ("http://u:hunter2@mail.example.org", "smtp://u:hunter2@mail.example.org:x", "smtp://"):
        with pytest.raises(SettingError) as raised:
            smtp_settings({"SAHEL_SMTP_URL": bad})
        assert "hunter2" not in str(raised.value)
