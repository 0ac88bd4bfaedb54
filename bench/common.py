"""Helpers shared by the benchmark scripts (not tests: they print JSON, assert nothing)."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_phase(script: Path, *args: str) -> dict[str, Any]:
    """Run one phase in a fresh interpreter so its peak RSS and timing are its own."""
    result = subprocess.run(
        [sys.executable, str(script), *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"phase {args} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])
