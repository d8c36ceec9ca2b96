#!/usr/bin/env bash
# Make Debian's Chromium available for the browser tests. Playwright's own browser download does
# not work on these machines, so the tests drive the distribution's package.
# Without it: a skip message, except under CI=true, where the browser is required.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  echo "chromium: $(command -v chromium)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
fi

if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; }; then
  echo "chromium: installing Debian's package (a few minutes the first time)"
  $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends chromium >/dev/null || true
fi

if command -v chromium >/dev/null 2>&1; then
  echo "chromium: $(command -v chromium)"
  exit 0
fi

echo "chromium: not available and could not be installed with apt" >&2
if [ "${CI:-}" = "true" ]; then
  echo "chromium: CI=true needs the browser tests; failing" >&2
  exit 1
fi
echo "chromium: browser tests will be skipped" >&2
exit 0
