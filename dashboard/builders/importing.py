"""Pure helpers of the Import page: mapping from widget values, issue tables, batch labels.

No ``st.`` calls here, so the page's logic is unit-testable; the page only reads widgets,
calls these and renders. :func:`run_validation` and :func:`run_commit` are the page's two
domain calls, exposed so tests can drive the flow that ``st.file_uploader`` hides from AppTest.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import pandas as pd

from dashboard.builders.tables import column_label
from incidents.auth import LOCAL_ADMIN, Permission, User, can
from incidents.auth.guarded import commit_import_as
from incidents.errors import FileLevelError
from incidents.export import neutralise_formulas
from incidents.i18n import N_, Labels, _, ngettext
from incidents.i18n.formats import format_number
from incidents.ingest.column_mapping import (
    MAPPABLE_FIELDS,
    ColumnMapping,
    check_mapping,
    load_mapping,
    save_mapping,
)
from incidents.ingest.detect import detect_format
from incidents.ingest.file_reader import read_raw_table
from incidents.ingest.pipeline import (
    DEFAULT_MAX_BYTES,
    PreparedImport,
    Progress,
    prepare_import,
)
from incidents.ingest.report import ImportReport
from incidents.ingest.staged import RawTable
from incidents.store import IncidentStore

#: Accounts come in a later issue; until then every change is audited as "local".
#: The name local mode records (the implicit admin); signed-in users are recorded by name.
USER_NAME: Final = LOCAL_ADMIN.name
#: Where named mappings are kept for re-use (git-ignored with the rest of var/).
MAPPINGS_DIR: Final = Path(__file__).resolve().parents[2] / "var" / "mappings"
UPLOAD_TYPES: Final = ("csv", "tsv", "txt", "xlsx")
#: Mirrors server.maxUploadSize in .streamlit/config.toml (MB) and the pipeline's own limit.
MAX_UPLOAD_MB: Final = DEFAULT_MAX_BYTES // 2**20
#: Widget value meaning "this field is not in my file".
NOT_MAPPED: Final = ""
#: Distinct event-type labels offered in the values editor (a free-text column may have many).
MAX_TYPE_VALUES: Final = 200
EVENT_TYPE_EDITOR_COLUMNS: Final = ("value", "event_type")

#: Text encodings offered for a CSV ("" = recognise UTF-8, UTF-16 or Windows-1252 and refuse
#: any other); any Python codec name works on the command line (``--encoding``).
ENCODING_LABELS: Final[Mapping[str, str]] = Labels(
    {
        "": N_("Detect (UTF-8, UTF-16, Windows-1252)"),
        "cp850": N_("DOS Western Europe (cp850)"),
        "mac_roman": N_("Mac Roman"),
        "latin-1": N_("Latin-1 (ISO-8859-1)"),
        "cp1256": N_("Arabic Windows (cp1256)"),
        "shift_jis": N_("Japanese Shift-JIS"),
    }
)

FORMAT_LABELS: Final[Mapping[str, str]] = Labels(
    {
        "auto": N_("Detect automatically"),
        "acled": N_("ACLED export"),
        "ucdp": N_("UCDP GED download"),
        "generic": N_("My own spreadsheet (map the columns)"),
    }
)


#: How each mappable field is named above its column selectbox (the field names stay the mapping's keys).
FIELD_LABELS: Final[Mapping[str, str]] = Labels(
    {
        "event_date": N_("event date"),
        "latitude": N_("latitude"),
        "longitude": N_("longitude"),
        "location": N_("location"),
        "country": N_("country"),
        "admin1": N_("admin1"),
        "admin2": N_("admin2"),
        "admin3": N_("admin3"),
        "event_type": N_("event type"),
        "sub_event_type": N_("sub event type"),
        "actor1": N_("actor1"),
        "actor2": N_("actor2"),
        "fatalities": N_("fatalities"),
        "notes": N_("notes"),
        "source": N_("source"),
        "source_event_id": N_("source event id"),
        "civilian_targeting": N_("civilian targeting"),
    }
)


def field_label(field_name: str) -> str:
    """``event_date`` -> "event date" in the reader's language (an unknown field with spaces)."""
    return FIELD_LABELS.get(field_name) or field_name.replace("_", " ")


def field_key(field_name: str) -> str:
    """Widget key of a field's column selectbox, e.g. ``map_event_date``."""
    return f"map_{field_name}"


# --- reading and validating ------------------------------------------------------------------


def read_upload(data: bytes, file_name: str, encoding: str = "") -> RawTable:
    """The uploaded file as text cells: its columns feed the mapping editor.

    ``encoding``: a key of :data:`ENCODING_LABELS` ("" = recognise the encoding).
    """
    return read_raw_table(data, file_name=file_name, max_bytes=DEFAULT_MAX_BYTES, encoding=encoding or None)


def effective_format(fmt: str, columns: Iterable[str]) -> str:
    """The format the pipeline will use: the chosen one, or the detected one for ``auto``."""
    return detect_format(list(columns)) if fmt == "auto" else fmt


def run_validation(
    data: bytes,
    file_name: str,
    store: IncidentStore,
    *,
    fmt: str = "auto",
    mapping: ColumnMapping | None = None,
    dayfirst: bool = True,
    progress: Progress | None = None,
    keep_outside: bool = False,
    encoding: str = "",
) -> PreparedImport:
    """Validate an upload against ``store`` without writing anything (the "Validate" button).

    Rows outside the covered countries are skipped unless ``keep_outside``.
    """
    options = {"progress": progress} if progress is not None else {}
    return prepare_import(
        data,
        store,
        file_name=file_name,
        fmt=fmt,
        mapping=mapping,
        dayfirst=dayfirst,
        max_bytes=DEFAULT_MAX_BYTES,
        keep_outside=keep_outside,
        encoding=encoding or None,
        **options,  # type: ignore[arg-type]
    )


def run_commit(
    prepared: PreparedImport, store: IncidentStore, *, by: User, progress: Progress | None = None
) -> ImportReport:
    """Write a validated import as one batch as ``by`` (the "Import N rows" button); checks the role."""
    options = {"progress": progress} if progress is not None else {}
    return commit_import_as(prepared, store, by, **options)


def clamp_share(share: float) -> float:
    """Progress bars accept 0-1 only; a rounding slip must not raise."""
    return min(max(float(share), 0.0), 1.0)


# --- mappings ---------------------------------------------------------------------------------


def initial_selections(mapping: ColumnMapping, columns: Iterable[str]) -> dict[str, str]:
    """Field -> column to prefill the selectboxes with; a column the file lacks is left unmapped.

    Matching is case-insensitive (as in the pipeline) but the file's own spelling is returned,
    because a selectbox value must be one of its options.
    """
    by_fold = {str(column).casefold(): str(column) for column in columns}
    return {
        field_name: by_fold.get(str(mapping.columns.get(field_name, "")).casefold(), NOT_MAPPED)
        for field_name in MAPPABLE_FIELDS
    }


def missing_columns(mapping: ColumnMapping, columns: Iterable[str]) -> list[str]:
    """Columns a loaded mapping names that this file does not have (to warn about)."""
    present = {str(column).casefold() for column in columns}
    return [column for column in mapping.columns.values() if column.casefold() not in present]


def build_mapping(
    name: str,
    selections: Mapping[str, str | None],
    event_type_values: Mapping[str, str | None],
    *,
    dayfirst: bool = True,
    source_dataset: str = "generic",
) -> ColumnMapping:
    """A :class:`ColumnMapping` from the editor's widgets; unmapped fields and blank types dropped."""
    columns = {
        field_name: str(column)
        for field_name in MAPPABLE_FIELDS
        if (column := selections.get(field_name)) not in (None, NOT_MAPPED)
    }
    values = {
        str(label): str(kind)
        for label, kind in event_type_values.items()
        if str(label).strip() and kind is not None and not pd.isna(kind) and str(kind).strip()
    }
    return ColumnMapping(
        name=name.strip() or "unnamed",
        columns=columns,
        event_type_values=values,
        date_dayfirst=dayfirst,
        source_dataset=source_dataset,
    )


def distinct_values(frame: pd.DataFrame, column: str | None, limit: int = MAX_TYPE_VALUES) -> list[str]:
    """Distinct non-blank labels of ``column`` in file order (at most ``limit``)."""
    if not column or column not in frame.columns:
        return []
    values = frame[column].dropna().astype(str).str.strip()
    return list(dict.fromkeys(value for value in values if value))[:limit]


def event_type_table(values: Iterable[str], known: Mapping[str, str]) -> pd.DataFrame:
    """Rows for the values editor: each label with its canonical type (blank when unknown)."""
    by_fold = {label.casefold(): kind for label, kind in known.items()}
    labels = list(values)
    return pd.DataFrame(
        {
            "value": pd.Series(labels, dtype="string"),
            "event_type": pd.Series([by_fold.get(label.casefold()) for label in labels], dtype="object"),
        },
        columns=list(EVENT_TYPE_EDITOR_COLUMNS),
    )


def event_type_values_from_table(table: pd.DataFrame) -> dict[str, str | None]:
    """The edited values table back to label -> event type."""
    if table.empty:
        return {}
    return {str(row.value): row.event_type for row in table.itertuples(index=False)}


def mapping_json(mapping: ColumnMapping) -> str:
    """The mapping in its file format (as :func:`save_mapping` writes it), for a download."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mapping.json"
        save_mapping(mapping, path)
        return path.read_text(encoding="utf-8")


def mapping_file_name(name: str) -> str:
    """A safe file name for a mapping name: ``"Mopti field team"`` -> ``mopti_field_team.json``."""
    slug = re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_")
    return f"{slug or 'mapping'}.json"


def save_named_mapping(mapping: ColumnMapping, directory: Path = MAPPINGS_DIR) -> Path:
    """Save under ``directory`` (created when missing) for re-use; checked first, so never half-bad."""
    check_mapping(mapping, origin=f"mapping {mapping.name!r}")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileLevelError(
            _("cannot create the mappings folder {folder}: {reason}").format(
                folder=directory, reason=exc.strerror or exc
            )
        ) from exc
    path = directory / mapping_file_name(mapping.name)
    try:
        save_mapping(mapping, path)
    except OSError as exc:
        raise FileLevelError(
            _("cannot save the mapping to {path}: {reason}").format(path=path, reason=exc.strerror or exc)
        ) from exc
    return path


def saved_mappings(directory: Path = MAPPINGS_DIR) -> list[Path]:
    """Saved mapping files, by name; none when the folder does not exist yet."""
    if not directory.is_dir():
        return []
    return sorted(directory.glob("*.json"), key=lambda path: path.name.casefold())


def mapping_from_bytes(data: bytes, file_name: str) -> ColumnMapping:
    """Read an uploaded mapping JSON with the same checks and messages as a saved one."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / (Path(file_name).name or "mapping.json")
        path.write_bytes(data)
        return load_mapping(path)


# --- the report -------------------------------------------------------------------------------


#: Help text of the Import page's "keep rows outside the coverage" checkbox.
KEEP_OUTSIDE_HELP: Final = N_(
    "Rows whose point lies outside the covered countries (e.g. Somalia in an Africa-wide ACLED file) "
    "are skipped by default and listed as outside_coverage. Tick to store them anyway, with the "
    "country the file gives and no admin units (the same as --keep-outside on the command line)."
)


#: Headers of the import history (the store's batch columns).
BATCH_HEADERS: Final[Mapping[str, str]] = Labels(
    {
        "batch_id": N_("Batch"),
        "file_name": N_("File"),
        "sha256": N_("SHA-256"),
        "format": N_("Format"),
        "user_name": N_("Imported by"),
        "created_at": N_("Imported at"),
        "rows_read": N_("Rows read"),
        "rows_accepted": N_("Rows imported"),
        "rows_rejected": N_("Rows rejected"),
        "rows_duplicate": N_("Duplicates skipped"),
        "status": N_("Status"),
    }
)
#: Words for a batch's status and an issue's severity (the codes stay in the data).
STATUS_LABELS: Final[Mapping[str, str]] = Labels(
    {"committed": N_("committed"), "undone": N_("undone"), "error": N_("error"), "warning": N_("warning")}
)


def shown_issues(issues: pd.DataFrame) -> pd.DataFrame:
    """The issue table for a page: translated headers and severities (codes and lines as they are)."""
    shown = issues.assign(severity=issues["severity"].map(lambda code: STATUS_LABELS.get(code, code)))
    return shown.rename(columns=column_label)  # the one table of headers (display copies; JSON keys stay)


def shown_batches(batches: pd.DataFrame) -> pd.DataFrame:
    """The import history for a page: translated headers and statuses."""
    shown = batches.assign(status=batches["status"].map(lambda code: STATUS_LABELS.get(code, code)))
    return shown.rename(columns={column: BATCH_HEADERS.get(column, column) for column in shown.columns})


def summary_figures(report: ImportReport) -> dict[str, int]:
    """The numbers shown as metrics above the issue table."""
    outside = _("Outside (kept)") if report.keep_outside else _("Outside (skipped)")
    return {
        _("Rows read"): report.rows_read,
        _("Accepted (new)"): report.rows_accepted,
        _("Rejected"): report.rows_rejected,
        _("Duplicates skipped"): report.rows_duplicate,
        outside: report.rows_outside_coverage,
    }


def issue_options(issues: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(severities, codes) present in the issue table, for the filter widgets."""
    if issues.empty:
        return [], []
    return sorted(issues["severity"].dropna().unique()), sorted(issues["code"].dropna().unique())


def filter_issues(
    issues: pd.DataFrame, severities: Iterable[str] | None = None, codes: Iterable[str] | None = None
) -> pd.DataFrame:
    """Issues of the chosen severities and codes; an empty or missing choice means all."""
    keep = pd.Series(True, index=issues.index)
    severities, codes = list(severities or []), list(codes or [])
    if severities:
        keep &= issues["severity"].isin(severities)
    if codes:
        keep &= issues["code"].isin(codes)
    return issues[keep].reset_index(drop=True)


def issues_csv(issues: pd.DataFrame) -> bytes:
    """The issue table as UTF-8 CSV whose cells cannot run as spreadsheet formulas.

    ``value`` and ``message`` quote the user's own cells, so a ``=HYPERLINK(...)`` in the
    source file would otherwise come back to life in Excel.
    """
    return neutralise_formulas(issues).to_csv(index=False).encode("utf-8")


def issues_file_name(report: ImportReport) -> str:
    stem = Path(report.file).stem or "import"
    return f"{re.sub(r'[^0-9A-Za-z._-]+', '_', stem)}_issues.csv"


# --- batches ----------------------------------------------------------------------------------


def undoable_batches(batches: pd.DataFrame) -> pd.DataFrame:
    """Committed batches (newest first, as listed): the ones an undo can still remove."""
    if batches.empty:
        return batches
    return batches[batches["status"] == "committed"].reset_index(drop=True)


def batches_undoable_by(batches: pd.DataFrame, user: User) -> pd.DataFrame:
    """The committed batches ``user`` may undo: their own for analysts, all for admins."""
    committed = undoable_batches(batches)
    if committed.empty:
        return committed
    allowed = [can(user, Permission.UNDO_OWN, owner=str(owner)) for owner in committed["user_name"]]
    return committed[allowed].reset_index(drop=True)


def batch_label(batch: Mapping[str, Any]) -> str:
    """``"<id> — file.csv (12 incidents, 2025-11-26 10:04 UTC)"`` for the undo selectbox.

    ``batch`` is one record of the store's batch table (``DataFrame.to_dict("records")``).
    """
    # The store writes created_at in UTC (SQLite hands it back without a zone).
    created = pd.Timestamp(batch["created_at"])
    rows = int(batch["rows_accepted"])
    return ngettext(
        "{batch} — {file} ({n} incident, {when} UTC)", "{batch} — {file} ({n} incidents, {when} UTC)", rows
    ).format(batch=batch["batch_id"], file=batch["file_name"], n=rows, when=f"{created:%Y-%m-%d %H:%M}")


def batch_rows(batches: pd.DataFrame, batch_id: str) -> int:
    """Incidents the batch added (what undo removes); 0 for an unknown id."""
    match = batches.loc[batches["batch_id"] == batch_id, "rows_accepted"]
    return int(match.iloc[0]) if len(match) else 0


def import_message(report: ImportReport) -> str:
    """What to tell the user after the commit."""
    if report.batch_id is None:
        return _("Nothing new was written: every accepted row is already in the store.")
    return _(
        "Imported {n} incidents from {file} as batch `{batch}`. "
        "The map and charts show them now; undo the batch below if this was a mistake."
    ).format(n=format_number(report.rows_accepted), file=report.file, batch=report.batch_id)
