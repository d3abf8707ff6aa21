#!/usr/bin/env bash
# System packages the tests need that pip cannot bring: Debian's Chromium for the browser tests,
# and gettext (msgfmt) for the check that the Spanish catalogue is complete and compiled.
# Playwright drives it through executable_path; `playwright install` cannot download browsers here.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v msgfmt >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: need root to apt-get install chromium gettext" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core gettext >/dev/null
