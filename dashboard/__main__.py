"""``python -m dashboard``: command line of the dashboard (see :mod:`dashboard.cli`); no Streamlit."""

import sys

from dashboard.cli import main

sys.exit(main())
