"""The import report (contract: docs/architecture.md, 'Import report'): what was read, kept, rejected and why.

Written by ``python -m incidents import --report FILE.json`` and shown in the Import page.
Keys beyond the contract (``dry_run``, ``warnings``, ``rows_outside_coverage``,
``keep_outside``) extend it compatibly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from incidents.i18n import _, ngettext
from incidents.ingest.staged import ImportIssue

ISSUE_COLUMNS = ("line", "column", "code", "severity", "message", "value")


@dataclass(frozen=True)
class ImportReport:
    file: str
    sha256: str
    format: str
    batch_id: str | None
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rows_duplicate: int
    issues: tuple[ImportIssue, ...] = ()
    warnings: tuple[str, ...] = ()  # file-level notes, e.g. a guessed encoding
    dry_run: bool = False
    #: rows whose point lies outside the covered countries: skipped (not stored, neither
    #: accepted nor rejected), or stored and counted as accepted too when ``keep_outside``
    rows_outside_coverage: int = 0
    keep_outside: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "format": self.format,
            "batch_id": self.batch_id,
            "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
            "rows_duplicate": self.rows_duplicate,
            "rows_outside_coverage": self.rows_outside_coverage,
            "keep_outside": self.keep_outside,
            "issues": [issue.to_dict() for issue in self.issues],
            "warnings": list(self.warnings),
            "dry_run": self.dry_run,
        }

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")

    def issues_frame(self) -> pd.DataFrame:
        """The issues as a table (for the UI and its CSV download)."""
        return pd.DataFrame([issue.to_dict() for issue in self.issues], columns=list(ISSUE_COLUMNS))

    def summary(self) -> str:
        """One line for the CLI and the UI."""
        errors = sum(issue.severity == "error" for issue in self.issues)
        warnings = len(self.issues) - errors
        if self.dry_run:
            head = _("dry run")
        else:
            head = (
                _("batch {batch}").format(batch=self.batch_id) if self.batch_id else _("nothing new written")
            )
        outside = ""
        if self.rows_outside_coverage:
            template = (
                _(", {n} outside coverage kept") if self.keep_outside else _(", {n} outside coverage skipped")
            )
            outside = template.format(n=self.rows_outside_coverage)
        return _(
            "{head}: {read} rows read, {accepted} accepted, {rejected} rejected, "
            "{duplicates} duplicates skipped{outside} ({errors}, {warnings})"
        ).format(
            head=head,
            read=self.rows_read,
            accepted=self.rows_accepted,
            rejected=self.rows_rejected,
            duplicates=self.rows_duplicate,
            outside=outside,
            errors=ngettext("{n} error", "{n} errors", errors).format(n=errors),
            warnings=ngettext("{n} warning", "{n} warnings", warnings).format(n=warnings),
        )


def file_level_report(file: str, sha256: str, fmt: str) -> ImportReport:
    """The report of a file that could not be read at all: nothing read, nothing written."""
    return ImportReport(file, sha256, fmt, None, 0, 0, 0, 0)
