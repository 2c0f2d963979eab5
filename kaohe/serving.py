"""Tests that need real server processes: `kaohe serve` (gunicorn) started on a free port, waited for, stopped."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KAOHE = [sys.executable, "-m", "kaohe.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def kaohe(env: Mapping[str, str], *args: str) -> None:
    """One `kaohe` command in the given environment; its output is shown only if it fails."""
    subprocess.run([*KAOHE, *args], cwd=ROOT, env=dict(env), check=True, capture_output=True, timeout=300)


@contextmanager
def served(env: Mapping[str, str], *, workers: int = 1) -> Iterator[str]:
    """`kaohe serve` with `env`; yields its base URL once /healthz answers, and stops it afterwards."""
    port = free_port()
    server = subprocess.Popen(
        [*KAOHE, "serve", "--port", str(port), "--workers", str(workers)], cwd=ROOT, env=dict(env),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        # Workers import Django and NumPy before they answer; on a busy machine that takes seconds.
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=10)  # noqa: S310 - the server just started here
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
