#!/usr/bin/env bash
# Debian packages the project needs beyond the image: Chromium for the browser tests (Playwright's
# own browser download does not work on these machines) and the libraries and fonts WeasyPrint
# uses for PDFs with Cyrillic text. Installed with apt when missing and we may (root or sudo -n).
# Without them: a message, except under CI=true, where they are required.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: present (chromium: $(command -v chromium))"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
fi

if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; }; then
  echo "system packages: installing ${missing[*]} (a few minutes the first time)"
  $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null || true
fi

still=()
command -v chromium >/dev/null 2>&1 || still+=(chromium)
for pkg in libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || still+=("$pkg")
done
if [ ${#still[@]} -eq 0 ]; then
  echo "system packages: present (chromium: $(command -v chromium))"
  exit 0
fi

echo "system packages: missing and could not be installed with apt: ${still[*]}" >&2
if [ "${CI:-}" = "true" ]; then
  echo "system packages: CI=true needs the browser and PDF tests; failing" >&2
  exit 1
fi
echo "system packages: browser or PDF tests will be skipped" >&2
exit 0
