"""Server entry point with lasting sign-ins: ``streamlit run dashboard/serve.py`` (from the repository root).

Runs the same app as ``streamlit run dashboard/app.py`` and adds the two HTTP routes that
set and clear the HttpOnly sign-in cookie (:mod:`dashboard.ui.session_routes`), registered
at start-up through Streamlit's ``st.App``. ``streamlit run`` sees the ``App`` below and
serves it; every browser session then runs ``app.py`` as usual. See docs/deploy.md.
"""

from __future__ import annotations

from streamlit.starlette import App

from dashboard.ui.session_routes import routes

app = App("app.py", routes=routes())
