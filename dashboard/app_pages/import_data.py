"""Import page: upload an incident file, map its columns, validate, commit, undo.

Nothing is written until "Import N rows": validation keeps a :class:`PreparedImport` in
``st.session_state["import_prepared"]``. Widget keys are part of the test contract.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.uploaded_file_manager import UploadedFile

from dashboard.builders import importing as imp
from dashboard.ui import caching, components
from dashboard.ui.auth import current_user
from incidents.alerts.matching import match_pending
from incidents.alerts.outbox import deliver_inapp, queue_alerts
from incidents.auth import Permission, User, can
from incidents.auth.guarded import undo_batch_as
from incidents.auth.roles import role_label
from incidents.demo import demo_batch_ids, remove_demo
from incidents.errors import IncidentsError
from incidents.i18n import _, ngettext
from incidents.i18n.formats import format_number
from incidents.ingest.column_mapping import MAPPABLE_FIELDS, ColumnMapping, suggest_mapping
from incidents.ingest.pipeline import FORMATS, PreparedImport
from incidents.ingest.staged import RawTable
from incidents.model import EVENT_TYPES
from incidents.sources import DEMO_SOURCE
from incidents.store import IncidentStore

PREPARED = "import_prepared"  # PreparedImport awaiting confirmation
PREPARED_FOR = "import_prepared_for"  # upload file_id it was validated from
RESULT = "import_result"  # message after a commit
UNDO_MESSAGE = "undo_message"  # (kind, text) after an undo
RAW = "import_raw"  # ((file_id, encoding), RawTable) of the current upload
MAPPING_FOR = "mapping_for"  # file_id the mapping widgets were filled for
TYPE_VALUES = "mapping_event_type_values"  # label -> type known before editing
EDITOR = "map_event_type_values"
DEMO_CONFIRM = "demo_remove_confirm"  # checkbox: the admin confirms removing the demo
DEMO_REMOVE = "demo_remove_button"
DEMO_MESSAGE = "demo_remove_message"  # (kind, text) after a removal


# --- callbacks (run before the script, so they may set widget state) ----------------------------


def _apply_mapping(mapping: ColumnMapping, columns: list[str]) -> None:
    for field_name, column in imp.initial_selections(mapping, columns).items():
        st.session_state[imp.field_key(field_name)] = column
    st.session_state[TYPE_VALUES] = dict(mapping.event_type_values)
    st.session_state["mapping_name"] = mapping.name
    st.session_state.pop(EDITOR, None)


def _load_mapping(columns: list[str]) -> None:
    upload = st.session_state.get("mapping_upload")
    chosen = st.session_state.get("mapping_saved")
    try:
        if upload is not None:
            mapping = imp.mapping_from_bytes(upload.getvalue(), upload.name)
        elif chosen:
            mapping = imp.mapping_from_bytes((imp.MAPPINGS_DIR / chosen).read_bytes(), chosen)
        else:
            st.session_state["mapping_message"] = (
                "info",
                _("Choose a saved mapping or upload a JSON file first."),
            )
            return
    except OSError as exc:
        st.session_state["mapping_message"] = (
            "error",
            _("Cannot read the mapping: {reason}").format(reason=exc.strerror or exc),
        )
        return
    except IncidentsError as exc:
        st.session_state["mapping_message"] = ("error", str(exc))
        return
    _apply_mapping(mapping, columns)
    st.session_state["import_dayfirst"] = mapping.date_dayfirst
    missing = imp.missing_columns(mapping, columns)
    note = (
        _(" This file lacks column(s) {columns}: those fields are left unmapped.").format(columns=missing)
        if missing
        else ""
    )
    st.session_state["mapping_message"] = (
        "success" if not missing else "warning",
        _("Loaded mapping “{name}”.{note}").format(name=mapping.name, note=note),
    )


def _undo(store: IncidentStore, user: User) -> None:
    batch_id = st.session_state.get("undo_batch")
    st.session_state["undo_confirm"] = False
    if not batch_id:
        return
    try:
        removed = undo_batch_as(store, batch_id, user)  # refuses another's batch unless admin
    except IncidentsError as exc:
        st.session_state[UNDO_MESSAGE] = ("error", str(exc))
        return
    st.session_state[UNDO_MESSAGE] = (
        "success",
        _("Batch `{batch}` undone: {n} incidents removed.").format(batch=batch_id, n=format_number(removed)),
    )


def _remove_demo(store: IncidentStore, user: User) -> None:
    st.session_state[DEMO_CONFIRM] = False
    try:
        removal = remove_demo(store, user)  # refuses anyone but an admin
    except IncidentsError as exc:
        st.session_state[DEMO_MESSAGE] = ("error", str(exc))
        return
    st.session_state[DEMO_MESSAGE] = (
        "success",
        _(
            "Demo data removed: {n} synthetic incidents in {batches} batch(es) undone. The dashboard will "
            "not load it again; `python -m incidents demo` brings it back."
        ).format(n=format_number(removal.rows_removed), batches=len(removal.batch_ids)),
    )


def _show(message: tuple[str, str] | None) -> None:
    if message is None:
        return
    kind, text = message
    {"success": st.success, "warning": st.warning, "info": st.info}.get(kind, st.error)(text)


# --- sections ---------------------------------------------------------------------------------


def _raw_table(upload: UploadedFile, encoding: str) -> RawTable:
    """The upload read once per file and encoding (a rerun must not re-read 200 MB)."""
    key = (upload.file_id, encoding)
    cached = st.session_state.get(RAW)
    if cached is None or cached[0] != key:
        st.session_state[RAW] = (key, imp.read_upload(upload.getvalue(), upload.name, encoding))
    return st.session_state[RAW][1]


def _mapping_editor(raw: RawTable, file_id: str, dayfirst: bool) -> ColumnMapping:
    columns = [str(column) for column in raw.frame.columns]
    # Streamlit drops the state of widgets not drawn in a run (format switched away and back).
    if st.session_state.get(MAPPING_FOR) != file_id or imp.field_key("event_date") not in st.session_state:
        _apply_mapping(suggest_mapping(columns, name=_("My spreadsheet")), columns)
        st.session_state[MAPPING_FOR] = file_id

    st.subheader(_("Map your columns"))
    st.caption(
        _(
            "Tell the dashboard which of your columns holds each field. Suggestions come from the header "
            "names; date, latitude and longitude (or a place name) are needed for a row to be accepted."
        )
    )
    with st.expander(_("Load a saved mapping"), key="mapping_expander"):
        saved = [path.name for path in imp.saved_mappings()]
        st.selectbox(
            _("Saved mappings"),
            ["", *saved],
            key="mapping_saved",
            format_func=lambda name: name or _("— choose —"),
            help=_("Mappings saved with “Save mapping”, kept in {folder}.").format(folder=imp.MAPPINGS_DIR),
        )
        st.file_uploader(_("…or upload a mapping JSON"), type=["json"], key="mapping_upload")
        st.button(_("Load mapping"), key="mapping_load", on_click=_load_mapping, args=(columns,))
    _show(st.session_state.pop("mapping_message", None))

    options = [imp.NOT_MAPPED, *columns]
    selections: dict[str, str] = {}
    grid = st.columns(4)
    for index, field_name in enumerate(MAPPABLE_FIELDS):
        on_change = (lambda: st.session_state.pop(EDITOR, None)) if field_name == "event_type" else None
        selections[field_name] = grid[index % 4].selectbox(
            imp.field_label(field_name),
            options,
            key=imp.field_key(field_name),
            format_func=lambda column: column or _("— not mapped —"),
            on_change=on_change,
        )

    labels = imp.distinct_values(raw.frame, selections["event_type"])
    edited = pd.DataFrame(columns=list(imp.EVENT_TYPE_EDITOR_COLUMNS))
    if labels:
        st.markdown(_("**Event types** — choose the canonical type for each label in your file."))
        edited = st.data_editor(
            imp.event_type_table(labels, st.session_state.get(TYPE_VALUES, {})),
            key=EDITOR,
            hide_index=True,
            disabled=["value"],
            column_config={
                "value": st.column_config.TextColumn(_("Label in your file")),
                "event_type": st.column_config.SelectboxColumn(
                    _("Canonical event type"),
                    options=list(EVENT_TYPES),
                    help=_("Labels left blank are imported as 'other' with an unknown_event_type warning."),
                ),
            },
        )
        if len(labels) >= imp.MAX_TYPE_VALUES:
            st.caption(_("Only the first {n} distinct labels are listed.").format(n=imp.MAX_TYPE_VALUES))

    name = st.text_input(_("Mapping name"), key="mapping_name", help=_("Used as the file name when saved."))
    mapping = imp.build_mapping(name, selections, imp.event_type_values_from_table(edited), dayfirst=dayfirst)
    left, right = st.columns(2)
    if left.button(
        _("Save mapping"),
        key="mapping_save",
        help=_("Saves to {folder} for re-use.").format(folder=imp.MAPPINGS_DIR),
    ):
        try:
            path = imp.save_named_mapping(mapping)
            st.success(
                _("Saved as {file}; load it next time from “Load a saved mapping”.").format(file=path.name)
            )
        except IncidentsError as exc:
            components.domain_error(exc)
    try:
        right.download_button(
            _("Download mapping JSON"),
            imp.mapping_json(mapping),
            file_name=imp.mapping_file_name(mapping.name),
            mime="application/json",
            key="mapping_download",
        )
    except IncidentsError as exc:
        components.domain_error(exc)
    return mapping


def _progress_to(bar: DeltaGenerator) -> Callable[[float, str], None]:
    """Progress callback of the import pipeline that moves ``bar`` (shares clamped to 0-1)."""

    def report(share: float, label: str) -> None:
        bar.progress(imp.clamp_share(share), text=label)

    return report


def _validate(
    upload: UploadedFile,
    store: IncidentStore,
    fmt: str,
    mapping: ColumnMapping | None,
    dayfirst: bool,
    keep_outside: bool = False,
    encoding: str = "",
) -> None:
    bar = st.progress(0.0, text=_("Validating…"))
    try:
        prepared = imp.run_validation(
            upload.getvalue(),
            upload.name,
            store,
            fmt=fmt,
            mapping=mapping,
            dayfirst=dayfirst,
            progress=_progress_to(bar),
            keep_outside=keep_outside,
            encoding=encoding,
        )
    except IncidentsError as exc:
        bar.empty()
        components.domain_error(exc)
        return
    bar.empty()
    st.session_state[PREPARED] = prepared
    st.session_state[PREPARED_FOR] = upload.file_id


def _issues(prepared: PreparedImport) -> None:
    issues = prepared.report.issues_frame()
    if issues.empty:
        st.success(_("No problems found in the rows."))
        return
    st.markdown(
        _(
            "**Issues** ({n}) — rejected rows are not imported; warnings are, except rows "
            "outside the covered countries (`outside_coverage`), which are skipped unless you keep them."
        ).format(n=format_number(len(issues)))
    )
    severities, codes = imp.issue_options(issues)
    left, right = st.columns(2)
    chosen_severities = left.multiselect(
        _("Severity"),
        severities,
        key="issues_severity",
        format_func=lambda code: imp.STATUS_LABELS.get(code, code),
        help=_("Empty shows all."),
        placeholder=_("Choose options"),
    )
    chosen_codes = right.multiselect(
        _("Reason code"),
        codes,
        key="issues_code",
        help=_("Empty shows all."),
        placeholder=_("Choose options"),
    )
    shown = imp.filter_issues(issues, chosen_severities, chosen_codes)
    st.dataframe(imp.shown_issues(shown), hide_index=True, width="stretch")
    st.download_button(
        _("Download issues (CSV)"),
        imp.issues_csv(shown),
        file_name=imp.issues_file_name(prepared.report),
        mime="text/csv",
        key="issues_download",
        help=_(
            "Line numbers count the header as line 1, as in a spreadsheet. Text that could run as a "
            "formula in a spreadsheet is prefixed with '."
        ),
    )


def _prepared(prepared: PreparedImport, store: IncidentStore, user: User) -> None:
    report = prepared.report
    st.subheader(_("Check before importing"))
    st.caption(
        _("File {file} · format **{format}** · SHA-256 {sha}…").format(
            file=report.file, format=report.format, sha=report.sha256[:12]
        )
    )
    figures = imp.summary_figures(report)
    for column, (label, value) in zip(st.columns(len(figures)), figures.items(), strict=True):
        column.metric(label, format_number(value))
    for warning in report.warnings:
        st.warning(warning)
    st.markdown(_("**Preview** (first 20 rows as read)"))
    st.dataframe(prepared.preview, width="stretch")
    _issues(prepared)

    rows = 0 if prepared.rows.empty else report.rows_accepted
    if rows == 0:
        st.info(_("Nothing to import: every row was rejected or is already in the store."))
    if st.button(
        ngettext("Import {n} row", "Import {n} rows", rows).format(n=format_number(rows)),
        key="import_confirm",
        type="primary",
        disabled=rows == 0,
        help=_("Writes the accepted rows as one batch, all or nothing. You can undo it below."),
    ):
        bar = st.progress(0.8, text=_("Writing to the store…"))
        try:
            final = imp.run_commit(
                prepared,
                store,
                by=user,
                progress=_progress_to(bar),
            )
        except IncidentsError as exc:
            bar.empty()
            components.domain_error(exc)
            return
        st.session_state.pop(PREPARED, None)
        st.session_state[RESULT] = imp.import_message(final) + _alert_new_batch(store)
        if final.batch_id is not None:
            # Offer the new batch for undo (the selectbox is drawn later in this run, so this is allowed).
            st.session_state["undo_batch"] = final.batch_id
            st.session_state["undo_confirm"] = False
        st.rerun()


def _alert_new_batch(store: IncidentStore) -> str:
    """Match the new batch against the watches now, queue immediate alerts and put in-app ones in
    inboxes (e-mails and webhooks wait for the runner); a sentence to add to the import message.

    The import is committed either way: a failure here leaves the batch to the next runner pass.
    """
    try:
        report = match_pending(store)
        queue_alerts(store)
        shown = deliver_inapp(store)
    except IncidentsError as exc:
        return _(" Alerts were not matched yet ({reason}); the alerts runner will match this import.").format(
            reason=exc
        )
    if not report.matches:
        return ""
    inboxes = _("; {n} in-app alert(s) delivered").format(n=shown) if shown else ""
    return _(" {n} incident(s) matched watches{inboxes}.").format(n=report.matches, inboxes=inboxes)


def _history(store: IncidentStore, user: User) -> None:
    st.subheader(_("Import history"))
    _show(st.session_state.pop(UNDO_MESSAGE, None))
    batches = store.list_batches()
    if batches.empty:
        st.info(_("No imports yet. Batches appear here once you import a file."))
        return
    st.dataframe(imp.shown_batches(batches), hide_index=True, width="stretch")
    if not can(user, Permission.UNDO_OWN, owner=user.name):
        st.caption(
            _("Undoing a batch needs the analyst role (your own batches) or the admin role (any batch).")
        )
        return
    if imp.undoable_batches(batches).empty:
        st.caption(_("Every batch has been undone; nothing left to undo."))
        return
    committed = imp.batches_undoable_by(batches, user)
    if committed.empty:
        st.caption(
            _("None of the remaining batches is yours; only an admin may undo other people's batches.")
        )
        return
    if not can(user, Permission.UNDO_ANY):
        st.caption(_("You can undo the batches you imported; an admin can undo any batch."))
    labels = {row["batch_id"]: imp.batch_label(row) for row in committed.to_dict("records")}
    with st.expander(_("Undo a batch"), key="undo_expander"):
        batch_id = st.selectbox(
            _("Batch"),
            list(labels),
            key="undo_batch",
            format_func=labels.__getitem__,
            on_change=lambda: st.session_state.update(undo_confirm=False),
            help=_("Removes exactly the incidents this batch added; the batch stays listed as 'undone'."),
        )
        count = imp.batch_rows(committed, batch_id)
        confirmed = st.checkbox(
            _("I understand this removes {n} incidents").format(n=format_number(count)), key="undo_confirm"
        )
        st.button(
            _("Undo batch"), key="undo_button", disabled=not confirmed, on_click=_undo, args=(store, user)
        )


def _demo_section(store: IncidentStore, user: User) -> None:
    """Admins only: remove the synthetic demo (all its batches at once), after a confirmation."""
    _show(st.session_state.pop(DEMO_MESSAGE, None))
    if not can(user, Permission.UNDO_ANY) or not demo_batch_ids(store):
        return
    rows = store.count_incidents(DEMO_SOURCE)
    st.subheader(_("Synthetic demo data"))
    st.caption(
        _(
            "The store holds {n} synthetic demo incidents (not real events). Once real data is stored "
            "they are hidden by default; removing them deletes them (their batches stay listed as undone, "
            "and the audit log records who removed them). The 19 real UCDP sample events stay, and the "
            "dashboard does not load the demo again; `python -m incidents demo` brings it back."
        ).format(n=format_number(rows))
    )
    confirmed = st.checkbox(
        _("I understand this removes {n} synthetic demo incidents").format(n=format_number(rows)),
        key=DEMO_CONFIRM,
    )
    st.button(
        _("Remove the demo data"),
        key=DEMO_REMOVE,
        disabled=not confirmed,
        on_click=_remove_demo,
        args=(store, user),
        icon=":material/delete:",
    )


def _upload_section(store: IncidentStore) -> None:
    upload = st.file_uploader(
        _("Incident file"),
        type=list(imp.UPLOAD_TYPES),
        key="import_file",
        help=_(
            "CSV, TSV, TXT or XLSX, up to {mb} MB (server.maxUploadSize in "
            ".streamlit/config.toml). Encoding and delimiter are detected."
        ).format(mb=imp.MAX_UPLOAD_MB),
    )
    left, right = st.columns(2)
    fmt = left.selectbox(
        _("Format"),
        FORMATS,
        key="import_format",
        format_func=imp.FORMAT_LABELS.__getitem__,
        help=_(
            "'Detect automatically' recognises ACLED and UCDP headers; anything else is "
            "treated as your own spreadsheet."
        ),
    )
    dayfirst = right.radio(
        _("Dates like 03/04/2023 mean"),
        [True, False],
        key="import_dayfirst",
        horizontal=True,
        format_func=lambda first: _("3 April (day first)") if first else _("March 4 (month first)"),
        help=_(
            "Only ambiguous numeric dates depend on this; ISO dates (2023-04-03) are always read as written."
        ),
    )
    encoding = st.selectbox(
        _("Text encoding (CSV)"),
        list(imp.ENCODING_LABELS),
        key="import_encoding",
        format_func=imp.ENCODING_LABELS.__getitem__,
        on_change=lambda: st.session_state.pop(PREPARED, None),  # validated with another encoding
        help=_(
            "UTF-8, UTF-16 and Windows-1252 (Excel on Windows) are recognised; a file in another "
            "encoding is refused until you choose it here. XLSX workbooks ignore this."
        ),
    )

    keep_outside = st.checkbox(
        _("Keep rows outside the covered countries"),
        key="import_keep_outside",
        help=_(imp.KEEP_OUTSIDE_HELP),
    )

    if upload is None:
        st.session_state.pop(RAW, None)  # free the last file's table
        st.info(
            _(
                "Upload a file to start. Supported: ACLED exports, UCDP GED downloads and your own "
                "CSV/XLSX spreadsheets (you map their columns once and can save the mapping)."
            )
        )
        return
    if st.session_state.get(PREPARED_FOR) not in (None, upload.file_id):
        st.session_state.pop(PREPARED, None)  # validated from another file
    try:
        raw = _raw_table(upload, encoding)
        used = imp.effective_format(fmt, raw.frame.columns)
    except IncidentsError as exc:
        components.domain_error(exc)
        return
    mapping = _mapping_editor(raw, upload.file_id, dayfirst) if used == "generic" else None
    if fmt == "auto":
        st.caption(_("Detected format: **{format}**.").format(format=used))
    if st.button(
        _("Validate"),
        key="import_validate",
        help=_("Reads and checks every row against the store; writes nothing."),
    ):
        _validate(upload, store, fmt, mapping, dayfirst, keep_outside, encoding)


# --- page -------------------------------------------------------------------------------------

st.title(_("Import incidents"))
st.caption(
    _(
        "Add an ACLED export, a UCDP GED download or your own spreadsheet. Validate first: nothing is "
        "written until you confirm, and each import can be undone."
    )
)

try:
    store = caching.get_store()
except IncidentsError as exc:
    components.domain_error(exc)
    st.stop()

user = current_user()
if user is None:  # gate_navigation offers only the sign-in page then; defensive
    st.stop()

if RESULT in st.session_state:
    st.success(st.session_state.pop(RESULT))

# The commit refuses too (incidents.auth.guarded); hiding the controls only spares a viewer the refusal.
if can(user, Permission.IMPORT):
    _upload_section(store)
    prepared = st.session_state.get(PREPARED)
    if prepared is not None:
        _prepared(prepared, store, user)
else:
    st.session_state.pop(PREPARED, None)
    st.caption(
        _(
            "Importing needs the analyst role; you are signed in as {role}. "
            "Ask an admin if you need to import files. The import history below is read-only."
        ).format(role=role_label(user.role))
    )

st.divider()
_history(store, user)
_demo_section(store, user)
