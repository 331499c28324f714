"""``python -m stelly_realtime``."""

from __future__ import annotations

import sys

from stelly_realtime.server import main

if __name__ == "__main__":
    sys.exit(main())
