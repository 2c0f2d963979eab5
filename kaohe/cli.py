"""The `kaohe` console script: Django's management commands with Kaohe's settings preset.

kaohe migrate | demo [--reset] | serve [--host --port] | createadmin USERNAME | …
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaohe.settings")
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "kaohe"
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        # A misconfigured setting is an operator's mistake: name it in one line, no traceback.
        print(f"启动失败：{exc}", file=sys.stderr)
        return 2
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
