"""One pass of the alerts runner: match new batches, queue due alerts and corrections, deliver.

Every step commits as it goes, so a runner killed at any point loses nothing: the next pass
(of this runner or another) picks up where the store says things are. Two runners at once are
safe: each step locks what it takes (see :mod:`incidents.alerts.matching` and
:mod:`incidents.alerts.outbox`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from incidents.alerts.matching import MatchReport, match_pending
from incidents.alerts.outbox import DeliveryReport, deliver, queue_alerts, queue_corrections
from incidents.i18n import _
from incidents.settings import GIVE_UP_HOURS, SmtpSettings
from incidents.store.sql import IncidentStore


@dataclass(frozen=True)
class PassReport:
    matching: MatchReport
    queued: int
    corrections: int
    delivery: DeliveryReport

    def summary(self) -> str:
        m, d = self.matching, self.delivery
        return _(
            "{batches} batches matched ({matches} new matches), {undone} undone "
            "({withdrawn} withdrawn, {retracted} to correct); {queued} alerts and "
            "{corrections} corrections queued; {sent} sent, {retried} to retry, {failed} failed"
        ).format(
            batches=m.batches_matched,
            matches=m.matches,
            undone=m.undone_batches,
            withdrawn=m.withdrawn,
            retracted=m.retracted,
            queued=self.queued,
            corrections=self.corrections,
            sent=d.sent,
            retried=d.retried,
            failed=d.failed,
        )


def run_pass(
    store: IncidentStore,
    *,
    now: datetime | None = None,
    smtp: SmtpSettings | None,
    give_up: timedelta = timedelta(hours=GIVE_UP_HOURS),
) -> PassReport:
    moment = now or datetime.now(UTC)
    matching = match_pending(store, now=moment)
    corrections = queue_corrections(store, now=moment)
    queued = queue_alerts(store, now=moment)
    return PassReport(matching, queued, corrections, deliver(store, smtp=smtp, now=moment, give_up=give_up))
