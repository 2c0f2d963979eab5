"""`kaohe serve`: the production WSGI server (gunicorn), never Django's development server."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "用生产级 WSGI 服务器（gunicorn）提供 Web 界面。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("KAOHE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KAOHE_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("KAOHE_WORKERS", "0")) or None)

    def handle(self, *args: Any, host: str, port: int, workers: int | None, **options: Any) -> None:
        workers = workers or (os.cpu_count() or 1) * 2 + 1
        self.stdout.write(f"Kaohe 已启动：http://{host}:{port}/  （{workers} 个工作进程，Ctrl+C 停止）")
        self.stdout.flush()
        argv = [
            sys.executable, "-m", "gunicorn", "kaohe.wsgi:application",
            "--bind", f"{host}:{port}",
            "--workers", str(workers),
            "--access-logfile", "-",
            "--timeout", "60",
            "--graceful-timeout", "10",
        ]  # fmt: skip
        # Replace this process so signals from the operator (Ctrl+C, systemd) reach gunicorn directly.
        os.execv(sys.executable, argv)  # noqa: S606
