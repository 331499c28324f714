"""``stelly dev`` on a data directory of an older PostgreSQL major says to run ``make reset``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from stelly_core.localstack import server_major_version


def test_dev_names_make_reset_for_data_of_another_major(tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "pg").mkdir(parents=True)
    (state / "pg" / "PG_VERSION").write_text(f"{int(server_major_version()) - 1}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STELLY_", "KZ_"))}
    env |= {"STELLY_STATE_DIR": str(state), "STELLY_ENV": "development"}
    result = subprocess.run(
        [sys.executable, "-m", "stelly_cli", "dev"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "make reset" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (state / "run" / "stack.json").exists()
