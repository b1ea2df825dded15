"""Local mode as a newcomer runs it: ``python -m bot`` with no token, commands on stdin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_scripted_local_chat(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "EDITIONS", "ARTICLES_DIR")}
    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, input="/start\n/summary 1\n/quotes\n",
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "you> /start" in out and "subscribed" in out
    # /summary 1 is the newest sample; plain text, no HTML tags on the console.
    assert "City Library Lends a Record One Million Books" in out
    assert "<b>" not in out and "&amp;" not in out
    assert "Hana Kowalski" in out.split("you> /quotes", 1)[1]
    assert (tmp_path / "var" / "digestbot.sqlite3").exists()
    assert "Traceback" not in result.stderr
