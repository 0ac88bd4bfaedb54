"""How current the stored incidents are: "data as of", "last import" and the staleness warning.

Pure: the caller passes ``today`` (tests inject it; the pages and exports pass the current
date), the newest incident date and the newest committed import. Relative periods ("Last
365 days") count back from the newest incident, not from today, so a store of 2022 data
shows 2022 figures: every page, export and briefing pack says so with these texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd

from incidents.i18n import _, ngettext, pgettext
from incidents.i18n.formats import format_day, format_number, format_timestamp
from incidents.settings import DEFAULT_STALE_AFTER_DAYS


def age_text(days: int) -> str:
    """A reader's wording of an age in days: "12 days", "5 months", "4 years" (rounded)."""
    if days < 0:
        raise ValueError(f"an age cannot be negative: {days} days")
    if days <= 60:
        return ngettext("{n} day", "{n} days", days).format(n=format_number(days))
    if days < 548:  # up to about 18 months: months read better than "1 year"
        months = round(days / 30.4375)
        return ngettext("{n} month", "{n} months", months).format(n=format_number(months))
    years = round(days / 365.25)
    return ngettext("{n} year", "{n} years", years).format(n=format_number(years))


def _stamp_text(stamp: datetime) -> str:
    """A moment as written in the language, in UTC: "1 Dec 2026 08:00 UTC"."""
    utc = stamp.astimezone(UTC) if stamp.tzinfo is not None else stamp
    return f"{format_timestamp(utc)} UTC"


@dataclass(frozen=True)
class Freshness:
    """The dates a reader needs to judge the figures, as of ``today``.

    ``newest_incident``: the newest event date in the store (``None``: no incidents);
    ``last_import``: when the newest committed incident batch was written (``None``: never).
    """

    newest_incident: date | None
    last_import: datetime | None
    today: date
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS

    @property
    def age_days(self) -> int | None:
        """Days from the newest incident to ``today`` (0 when the data run to today or later)."""
        if self.newest_incident is None:
            return None
        return max(0, (self.today - self.newest_incident).days)

    @property
    def stale(self) -> bool:
        """True when the newest incident is older than ``stale_after_days``."""
        age = self.age_days
        return age is not None and age > self.stale_after_days

    @property
    def data_as_of_text(self) -> str:
        """The newest incident's day, "30 Dec 2022 (newest incident)", in the run's language."""
        if self.newest_incident is None:
            return _("no incidents stored")
        return _("{day} (newest incident)").format(day=format_day(self.newest_incident))

    @property
    def last_import_text(self) -> str:
        """When the newest batch was imported, "1 Dec 2026 08:00 UTC", or "never"."""
        if self.last_import is None:
            return pgettext("last import", "never")
        return _stamp_text(self.last_import)

    def summary(self) -> str:
        """One line: "Data as of 30 Dec 2022 (newest incident) · last import 1 Dec 2026 08:00 UTC"."""
        if self.newest_incident is None:
            return _("Data as of no incidents stored · last import {last_import}").format(
                last_import=self.last_import_text
            )
        return _("Data as of {day} (newest incident) · last import {last_import}").format(
            day=format_day(self.newest_incident), last_import=self.last_import_text
        )

    def warning(self) -> str | None:
        """The staleness warning, or ``None`` when the data are recent enough (or absent)."""
        age = self.age_days
        if not self.stale or age is None or self.newest_incident is None:
            return None
        return _(
            "The newest incident is from {day}, {age} before today: figures describe that time, not now."
        ).format(day=format_day(self.newest_incident), age=age_text(age))


def newest_import(batches: pd.DataFrame) -> datetime | None:
    """The ``created_at`` of the newest committed incident batch (site imports excluded), else ``None``.

    ``batches`` is :meth:`IncidentStore.list_batches` (``status`` and ``format`` optional).
    """
    table = batches
    if "status" in table.columns:
        table = table[table["status"].astype("string") == "committed"]
    if "format" in table.columns:
        table = table[table["format"].astype("string") != "sites"]
    if not len(table):
        return None
    stamp = pd.to_datetime(table["created_at"], utc=True).max()
    return None if pd.isna(stamp) else stamp.to_pydatetime()


def freshness(
    newest_incident: date | None,
    batches: pd.DataFrame,
    *,
    today: date,
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS,
) -> Freshness:
    """:class:`Freshness` from the store's newest incident date and its batches table."""
    return Freshness(newest_incident, newest_import(batches), today, stale_after_days)


def anchored_period(label: str, newest_incident: date | None) -> str:
    """A relative period's label with its anchor: "Last 365 days to 30 Dec 2022, the newest incident".

    ``label`` is already in the reader's language (the caller translates it).
    """
    if newest_incident is None:
        return label
    return _("{period} to {day}, the newest incident").format(period=label, day=format_day(newest_incident))
