"""The load benchmark's protocol client (bench/streamlit_protocol.py) drives the real app as its
frontend does: it finds the menu and the widgets, switches pages, and a period it picks reaches
the page (the page writes it into its address). Otherwise bench/load.py would time nothing real.
No browser; in the browser group only to share its demo server."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

import pytest

from bench.load import FIRST_QUERY, PERIOD_KEY
from bench.streamlit_protocol import ProtocolSession, SessionError
from tests.servers import PAGES, AppServer


async def _switch_pages_and_pick_a_period(url: str) -> None:
    async with ProtocolSession(url, timeout_s=120) as session:
        assert 0 < await session.open(FIRST_QUERY) < 120
        assert set(session.pages) == set(PAGES)  # every menu entry, "" the Overview
        assert PERIOD_KEY in session.widget_ids

        assert 0 < await session.open_page("map") < 120
        query = parse_qs(session.query_string)
        assert query["period"] == ["last_365"] and sorted(query["country"]) == ["BFA", "MLI", "NER"]

        await session.choose(PERIOD_KEY, "Last 90 days")
        assert parse_qs(session.query_string)["period"] == ["last_90"]
        await session.open_page("timeline")
        assert parse_qs(session.query_string)["period"] == ["last_90"]  # the choice stays

        with pytest.raises(SessionError, match="no page"):
            await session.open_page("no_such_page")
        with pytest.raises(SessionError, match="no option"):
            await session.choose(PERIOD_KEY, "Next century")


@pytest.mark.e2e
def test_the_protocol_client_switches_pages_and_picks_a_period(app_server: AppServer) -> None:
    asyncio.run(_switch_pages_and_pick_a_period(app_server.url))
