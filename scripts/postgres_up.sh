#!/usr/bin/env bash
# Make sure the local PostgreSQL the test suite uses (127.0.0.1:5432, database `test`) is running.
set -euo pipefail
ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
ready && exit 0
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
fi
for _ in $(seq 1 60); do ready && exit 0; sleep 1; done
echo "PostgreSQL 未在 127.0.0.1:5432 启动：测试套件需要它（可用 TEST_DATABASE_URL 指向其他实例）。" >&2
exit 1
