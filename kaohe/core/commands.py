"""What every import and export command does the same way: act as a named user, read an upload from a path
(never more than the reader accepts), write a file, and print a report's lines, exiting 1 when it refused."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from django.core.management.base import BaseCommand, CommandError

from kaohe.lib import xlsx

if TYPE_CHECKING:
    from kaohe.accounts.models import User


def acting_user(username: str) -> User:
    """The active user a command acts as (`--as USERNAME`), with what permission checks need."""
    from kaohe.accounts.models import User
    from kaohe.accounts.names import username_key

    user = User.objects.select_related("unit", "department").filter(username_key=username_key(username)).first()
    if user is None or not user.is_active:
        raise CommandError(f"用户“{username}”不存在或已停用。")
    return user


def read_upload(path: Path) -> bytes:
    if not path.is_file():
        raise CommandError(f"找不到文件：{path}")
    with path.open("rb") as handle:
        return handle.read(xlsx.DEFAULT_LIMITS.max_file_bytes + 1)  # the reader refuses anything larger


def write_download(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise CommandError(f"无法写入文件 {path}：{exc.strerror}") from None


def print_report(command: BaseCommand, report: xlsx.CellReport) -> None:
    """Every rejected cell on its own line, then the headline (stderr, exit 1); or the one-line summary."""
    out = command.stdout if report.ok else command.stderr
    for line in report.lines():
        out.write(line)
    if not report.ok:
        raise SystemExit(1)
