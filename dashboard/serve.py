"""Server entry point with lasting sign-ins: ``streamlit run dashboard/serve.py`` (from the repository root).

Runs the same app as ``streamlit run dashboard/app.py`` and adds the two HTTP routes that
set and clear the HttpOnly sign-in cookie (:mod:`dashboard.session_routes`), registered
at start-up through Streamlit's ``st.App``. ``streamlit run`` sees the ``App`` below and
serves it; every browser session then runs ``app.py`` as usual. See docs/deploy.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

# As in app.py: `streamlit run dashboard/serve.py` puts dashboard/ on sys.path, not the root.
_REPO_ROOT = str(Path(__file__).resolve().parents[1])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from streamlit.starlette import App  # noqa: E402

from dashboard.session_routes import routes  # noqa: E402

app = App("app.py", routes=routes())
