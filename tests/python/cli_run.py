"""The console script in a subprocess, as a scheduled job runs it: one helper for every test file."""

import os
import subprocess
import sys


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m counterfoil ARGS` with `env` on top of this process's environment."""
    full = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "counterfoil", *args], capture_output=True, text=True, env=full, timeout=300
    )
