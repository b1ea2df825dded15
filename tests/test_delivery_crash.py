"""Crash safety, short form of ``bench/crash.py``: kill -9 the worker 5 times mid-fan-out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_kill_9_loses_nothing_and_duplicates_stay_within_the_window() -> None:
    run = subprocess.run(
        [sys.executable, "bench/crash.py", "--subscribers", "2000", "--kills", "5",
         "--rate", "600", "--seed", "4", "--timeout", "90"],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    assert "5 kill -9s" in report
    assert "lost: 0 " in report and "out of order: 0 " in report
    assert "left unfinished in the outbox: 0 " in report
