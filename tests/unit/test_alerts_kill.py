"""``kill -9`` of ``python -m incidents alerts run`` in the middle of delivery loses nothing.

A real runner process, a real SQLite store and a real webhook receiver that holds the first POST
open (it never answers it), so the runner is inside delivery, with every message claimed, when
it is killed. The next ``alerts run`` leaves the dead runner's claims alone until their lease
(:data:`~incidents.settings.CLAIM_LEASE_S`) runs out; a pass at that time delivers them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from incidents.alerts.matching import list_matches
from incidents.alerts.outbox import list_outbox
from incidents.alerts.runner import run_pass
from incidents.alerts.store import add_watch
from incidents.alerts.watches import Area, Recipients, Watch
from incidents.auth.roles import LOCAL_ADMIN
from incidents.settings import CLAIM_LEASE_S
from incidents.store import BatchMeta, IncidentStore, open_store
from tests.unit.alert_servers import HOLD_S, UNANSWERED, WebhookReceiver
from tests.unit.alerts_fixtures import MOPTI, around_mopti

ROOT = Path(__file__).resolve().parents[2]
WATCHES = ("one", "two", "three")


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    held = WebhookReceiver(hold_first=True)
    yield held
    held.close()


def alerts_run(db_url: str) -> subprocess.Popen[str]:
    """``python -m incidents alerts run`` on ``db_url``, in a process of its own."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SAHEL_")}
    env |= {"SAHEL_DB_URL": db_url, "PYTHONPATH": str(ROOT), "SAHEL_DEMO": "off"}
    command = [sys.executable, "-m", "incidents", "alerts", "run"]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_kill_9_inside_delivery_loses_nothing_and_sends_each_alert_once(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    db_url = f"sqlite:///{tmp_path / 'alerts.db'}"
    store: IncidentStore = open_store(db_url)
    try:
        area = Area(kind="site", label="office", geometry_wkt=f"POINT ({MOPTI[0]} {MOPTI[1]})", radius_km=25)
        for name in WATCHES:
            add_watch(
                store, Watch(name, area, recipients=Recipients(webhooks=(receiver.url,))), by=LOCAL_ADMIN
            )
        store.add_batch(
            around_mopti(), BatchMeta(file_name="f.csv", sha256="0" * 64, format="acled", rows_read=5)
        )

        first = alerts_run(db_url)
        try:
            assert receiver.holding.wait(HOLD_S), "the runner never reached the receiver"
            first.send_signal(signal.SIGKILL)
            first.wait(HOLD_S)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
        assert first.returncode == -signal.SIGKILL
        receiver.release.set()
        # Killed inside delivery: all three messages claimed by the dead runner, none answered.
        outbox = list_outbox(store)
        assert sorted(outbox["status"]) == ["sending"] * 3 and not receiver.accepted
        assert set(list_matches(store)["status"]) == {"queued"}
        killed_at = datetime.now(UTC)

        # The next run honours the dead runner's lease: nothing is sent again meanwhile.
        second = alerts_run(db_url)
        out, err = second.communicate(timeout=HOLD_S)
        assert second.returncode == 0, err
        assert "0 sent" in out and len(receiver.received) == 1

        # Once the lease has run out (a pass at that time), every alert is delivered, each once.
        late = run_pass(store, smtp=None, now=killed_at + timedelta(seconds=CLAIM_LEASE_S + 1))
        assert (late.delivery.sent, late.delivery.failed) == (3, 0)
        answered = Counter(item.headers["X-Sahel-Delivery"] for item in receiver.accepted)
        assert sorted(answered.values()) == [1, 1, 1]
        assert set(answered) == set(outbox["message_id"].astype(str))
        bodies = {body["watch"]: body for body in (json.loads(item.body) for item in receiver.accepted)}
        assert set(bodies) == set(WATCHES)
        for body in bodies.values():
            assert sorted(item["incident_id"] for item in body["incidents"]) == [
                f"acled:m-in-{n}" for n in (1, 2, 3)
            ]
        # The POST the dead runner made came again with the same delivery id (a receiver may drop repeats).
        held = receiver.received[0]
        assert held.status == UNANSWERED and answered[held.headers["X-Sahel-Delivery"]] == 1
        assert set(list_outbox(store)["status"]) == {"sent"}
        assert set(list_matches(store)["status"]) == {"delivered"}
        assert run_pass(store, smtp=None, now=killed_at + timedelta(hours=1)).delivery.sent == 0
    finally:
        store.close()
