"""``python -m stelly_menu``: serve the menu service."""

from __future__ import annotations

import sys

from stelly_menu.server import main

sys.exit(main())
