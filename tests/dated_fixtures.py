"""Import files whose dates end on a chosen day: old data ("2022") or fresh data ("three days ago").

The ACLED-layout rows are the SYNTHETIC fixture ``tests/fixtures/import/acled_api_sample.csv``
with every ``event_date`` (and ``year``) moved by the same number of days, so that its newest
event falls on ``newest``. Shared by the unit tests (credits, briefing pack, exports) and the
headless app tests (staleness warning on every page).
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

from incidents.ingest.pipeline import ImportReport, import_file
from incidents.store import IncidentStore

ACLED_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "import" / "acled_api_sample.csv"


def acled_file(folder: Path, newest: date, name: str = "2022-acled-export-Mali.csv") -> Path:
    """A copy of the ACLED fixture whose newest event is on ``newest``, written to ``folder / name``."""
    with ACLED_FIXTURE.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        records = list(reader)
    last = max(date.fromisoformat(record["event_date"]) for record in records)
    shift = newest - last
    for record in records:
        moved = date.fromisoformat(record["event_date"]) + shift
        record["event_date"] = moved.isoformat()
        record["year"] = str(moved.year)
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(records)
    return path


def import_acled(
    store: IncidentStore, folder: Path, newest: date, *, today: date | None = None, name: str | None = None
) -> ImportReport:
    """Import :func:`acled_file` into ``store`` (``today`` bounds future dates; default ``newest`` + 1)."""
    path = acled_file(folder, newest, **({"name": name} if name else {}))
    report = import_file(path, store, today=today or newest + timedelta(days=1))
    assert report.rows_accepted > 0, report
    return report
