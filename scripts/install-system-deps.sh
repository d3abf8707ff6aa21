#!/usr/bin/env bash
# System packages the tests need that pip cannot bring: Debian's Chromium for the browser tests,
# gettext (msgfmt) for the check that the Spanish catalogue is complete and compiled, and Pango
# (libpango-1.0-0, libpangoft2-1.0-0: WeasyPrint's text layout) for the DSMB reports' PDF.
# Playwright drives it through executable_path; `playwright install` cannot download browsers here.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v msgfmt >/dev/null 2>&1 \
    && dpkg -s libpango-1.0-0 libpangoft2-1.0-0 >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: need root to apt-get install chromium gettext pango" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core gettext \
  libpango-1.0-0 libpangoft2-1.0-0 >/dev/null
