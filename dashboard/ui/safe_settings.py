"""Settings the dashboard enforces itself, whatever directory the server was started from.

Streamlit reads ``.streamlit/config.toml`` from the working directory and from the folder of
the script it runs (``dashboard/.streamlit/config.toml`` ships the settings below), but a
command-line flag or a ``STREAMLIT_*`` environment variable overrides both. So the app
itself, on every run and before any page code:

* sets ``client.showErrorDetails`` to ``"none"``: an unexpected error shows a short notice,
  never a traceback with server paths (the one server option a script may set);
* refuses to run, with one sentence saying what to change, when usage statistics are on
  (every page load would call an outside metrics address) or static serving is off (the
  offline map files would not be served).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import streamlit as st

from incidents.i18n import _

ERROR_DETAILS: Final = ("client.showErrorDetails", "none")
#: Server options a script cannot set: option -> (required value, why).
REQUIRED: Final[dict[str, tuple[bool, str]]] = {
    "browser.gatherUsageStats": (False, "every page load would call an outside metrics address"),
    "server.enableStaticServing": (True, "the offline map files would not be served"),
}


def settings_problems(get_option: Callable[[str], Any]) -> list[str]:
    """One text per required option that ``get_option`` reports with the wrong value."""
    problems = []
    for name, (wanted, why) in REQUIRED.items():
        if bool(get_option(name)) != wanted:
            problems.append(f"{name} must be {str(wanted).lower()} ({why})")
    return problems


def enforce_settings() -> None:
    """Hide error details, then stop the run with a clear message if a required option is wrong."""
    st.set_option(*ERROR_DETAILS)
    problems = settings_problems(st.get_option)
    if problems:
        flags = " ".join(f"--{name} {str(wanted).lower()}" for name, (wanted, _why) in REQUIRED.items())
        st.error(
            _(
                "The dashboard will not run with these server settings: {problems}. "
                "Start it with `streamlit run dashboard/app.py` without overriding them, or add {flags}."
            ).format(problems="; ".join(problems), flags=flags),
            icon="🚫",
        )
        st.stop()
