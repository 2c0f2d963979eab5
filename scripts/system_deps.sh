#!/usr/bin/env bash
# Install the Debian packages the test suite needs (Chromium for browser tests, CJK fonts for
# readable screenshots and PDFs) when they are missing. Idempotent; does nothing when all are present.
set -euo pipefail
packages=(chromium fonts-noto-cjk)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "安装缺少的系统软件包：${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
