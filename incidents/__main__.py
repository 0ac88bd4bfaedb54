"""``python -m incidents``: see :mod:`incidents.cli.main`."""

import sys

from incidents.cli.main import main

sys.exit(main())
