#!/usr/bin/env bash
# Lighthouse scores of the public site: home, an article and contacts, in Ukrainian and English.
# Serves the demo centre on a spare port, runs lighthouse@12 (13 needs a newer Node) against
# Debian's Chromium, prints the four category scores per page. Goal: at least 95 in each.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure_system_packages.sh >/dev/null
LH_DIR=.tools/lighthouse
if [ ! -x "$LH_DIR/node_modules/.bin/lighthouse" ]; then
  npm install --prefix "$LH_DIR" --no-audit --no-fund --loglevel=error lighthouse@12 >/dev/null
fi

PORT=${LH_PORT:-8765}
export DEBUG=false ALLOWED_HOSTS=127.0.0.1 SQLITE_PATH=var/lighthouse.sqlite3 COMPRESS_STATIC=true
export STATIC_ROOT=var/lighthouse-static
.venv/bin/python manage.py migrate --no-input -v 0
.venv/bin/python manage.py createcachetable
.venv/bin/python manage.py load_demo --force --quiet-logins
.venv/bin/python manage.py collectstatic --no-input -v 0
.venv/bin/gunicorn clinic.wsgi --bind 127.0.0.1:$PORT --workers 2 --log-level warning &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

ARTICLE_UK=$(.venv/bin/python manage.py shell -c "from clinic.website.models import Page; print(Page.objects.published().filter(section='article').first().url_in('uk'))" | tail -1)
ARTICLE_EN=$(.venv/bin/python manage.py shell -c "from clinic.website.models import Page; print(Page.objects.published().filter(section='article').first().url_in('en'))" | tail -1)
export CHROME_PATH
CHROME_PATH=$(command -v chromium)
FLAGS="--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync"
mkdir -p var/lighthouse
printf "%-60s %6s %6s %6s %6s\n" page perf a11y best seo
for path in /uk/ "$ARTICLE_UK" /uk/kontakty/ /en/ "$ARTICLE_EN" /en/contacts/; do
  out="var/lighthouse/$(echo "$path" | tr '/' '_').json"
  "$LH_DIR/node_modules/.bin/lighthouse" "http://127.0.0.1:$PORT$path" --quiet --output=json \
    --output-path="$out" --chrome-flags="$FLAGS" --only-categories=performance,accessibility,best-practices,seo \
    --form-factor=mobile >/dev/null 2>&1 || { echo "$path: lighthouse failed"; continue; }
  node -e '
    const r = require(process.argv[1]); const c = r.categories;
    const s = k => Math.round(c[k].score * 100);
    console.log(process.argv[2].padEnd(60), String(s("performance")).padStart(6),
      String(s("accessibility")).padStart(6), String(s("best-practices")).padStart(6),
      String(s("seo")).padStart(6));' "$PWD/$out" "$path"
done
