"""``python -m stelly_platform``: serve the platform service."""

from __future__ import annotations

import sys

from stelly_platform.server import main

sys.exit(main())
