#!/usr/bin/env bash
# Runs the Bruno collection (bruno/) against a fresh server: the CI runner of the HTTP contract.
#
#   bash bruno/run.sh                   # from the repository root (any working directory works)
#   BRUNO_PORT=8123 bash bruno/run.sh   # another port (default 8000)
#
# 1. a throw-away SQLite database at var/bruno/shop.db (removed first), APP_ENV=development, a random
#    JWT_SECRET, the built-in test payment provider and the development webhook secret;
# 2. bookshop db upgrade, seed-demo, create-admin (the admin of environments/local.bru);
# 3. bookshop serve on 127.0.0.1:$BRUNO_PORT in the background, until /health answers 200 (30 s at most);
# 4. the Bruno CLI (@usebruno/cli, pinned below), installed under bruno/.npm when missing;
# 5. bru run --env local over the whole collection; the exit status is bru's: non-zero when a request,
#    an assertion or a test fails. The server is stopped on exit, whatever happens.
#
# Needs .venv (`make install`), node and npm. Other knobs:
#   BRUNO_SANDBOX=safe|developer   Bruno's script sandbox (default safe: the collection's scripts only use
#                                  what Bruno bundles, crypto-js included)
#   BRUNO_BAIL=1                   stop at the first failure
# Reports and the server log: var/bruno/ (results.json, results.xml, server.log).
set -euo pipefail

BRU_CLI_VERSION="4.1.0"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COLLECTION="$ROOT/bruno"
WORK="$ROOT/var/bruno"
DB="$WORK/shop.db"
PORT="${BRUNO_PORT:-8000}"
BASE_URL="http://127.0.0.1:$PORT"
SANDBOX="${BRUNO_SANDBOX:-safe}"
BOOKSHOP="$ROOT/.venv/bin/bookshop"
BRU="$COLLECTION/.npm/node_modules/.bin/bru"

say() { printf 'bruno/run.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# The environment file is the one source of the admin's credentials and of the webhook secret.
env_var() { sed -n "s/^[[:space:]]*$1:[[:space:]]*//p" "$COLLECTION/environments/local.bru" | head -n 1; }
ADMIN_EMAIL="$(env_var adminEmail)"
ADMIN_PASSWORD="$(env_var adminPassword)"
WEBHOOK_SECRET="$(env_var webhookSecret)"
[[ -n "$ADMIN_EMAIL" && -n "$ADMIN_PASSWORD" && -n "$WEBHOOK_SECRET" ]] ||
  die "environments/local.bru must define adminEmail, adminPassword and webhookSecret"

[[ -x "$BOOKSHOP" ]] || die "$BOOKSHOP not found: run 'make install' first"
command -v node >/dev/null || die "node is required (the Bruno CLI is a Node program)"
command -v npm >/dev/null || die "npm is required to install the Bruno CLI"
command -v curl >/dev/null || die "curl is required"

cd "$ROOT"

# --- the Bruno CLI, pinned, local to the collection (bruno/.npm is git-ignored) --------------------
if [[ ! -x "$BRU" ]] || [[ "$("$BRU" --version 2>/dev/null)" != "$BRU_CLI_VERSION" ]]; then
  say "installing @usebruno/cli@$BRU_CLI_VERSION under bruno/.npm"
  mkdir -p "$COLLECTION/.npm"
  npm install --no-save --no-audit --no-fund --loglevel=error \
    --prefix "$COLLECTION/.npm" "@usebruno/cli@$BRU_CLI_VERSION" >&2
fi
[[ "$("$BRU" --version)" == "$BRU_CLI_VERSION" ]] || die "could not install @usebruno/cli@$BRU_CLI_VERSION"

# --- a throw-away database and a server of our own -------------------------------------------------
if curl -s -o /dev/null --max-time 2 "$BASE_URL/health"; then
  die "something already answers on $BASE_URL: choose another port with BRUNO_PORT"
fi

mkdir -p "$WORK"
rm -f "$DB" "$DB-journal" "$DB-wal" "$DB-shm" "$WORK/results.json" "$WORK/results.xml"

# Real variables win over a developer's .env: pin everything the collection's expectations rest on.
export APP_ENV=development
export DATABASE_URL="sqlite:///$DB"
export JWT_SECRET="bruno-run-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
export STRIPE_SECRET_KEY=""          # the built-in test payment provider
export STRIPE_API_BASE=""
export SHIPPING_RATES="GB:0,IE:599"  # GB free (the orders' totals are their books'), IE priced, the rest not served
export FREE_SHIPPING_OVER_CENTS=""
export STRIPE_WEBHOOK_SECRET="$WEBHOOK_SECRET"
export REDIS_URL=""                  # in-memory rate-limit counters: each run starts from zero
export AUTH_RATE_LIMIT=40            # twice the default: one run makes 20 attempts on the limited auth routes
export CURRENCY=usd
export ACCESS_TOKEN_TTL_SECONDS=900
export REFRESH_TOKEN_TTL_SECONDS=1209600
export REFRESH_REUSE_GRACE_SECONDS=0 # auth/13 reuses a token right after its rotation: theft at once

"$BOOKSHOP" db upgrade >/dev/null 2>"$WORK/migrate.log" || { cat "$WORK/migrate.log" >&2; die "db upgrade failed"; }
"$BOOKSHOP" seed-demo >&2
"$BOOKSHOP" create-admin "$ADMIN_EMAIL" --password "$ADMIN_PASSWORD" >&2

SERVER_PID=""
stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "serving on $BASE_URL (log: var/bruno/server.log)"
"$BOOKSHOP" serve --host 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

if ! "$BOOKSHOP" wait-ready "$BASE_URL/health" --timeout 30; then
  tail -n 50 "$WORK/server.log" >&2
  die "GET /health did not answer 200 within 30 s"
fi

# --- the collection --------------------------------------------------------------------------------
args=(
  run
  --env local
  --env-var "baseUrl=$BASE_URL"
  --env-var "adminEmail=$ADMIN_EMAIL"
  --env-var "adminPassword=$ADMIN_PASSWORD"
  --env-var "webhookSecret=$WEBHOOK_SECRET"
  --sandbox "$SANDBOX"
  --noproxy
  --reporter-json "$WORK/results.json"
  --reporter-junit "$WORK/results.xml"
)
if [[ "${BRUNO_BAIL:-0}" == "1" ]]; then
  args+=(--bail)
fi

status=0
(cd "$COLLECTION" && "$BRU" "${args[@]}") || status=$?

# One plain closing line: requests, and checks (assertions and tests) passed and failed.
if [[ -s "$WORK/results.json" ]]; then
  node -e '
    const runs = [].concat(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")));
    const s = runs.reduce((a, r) => {
      const x = r.summary || {};
      a.rp += x.passedRequests || 0; a.rf += (x.failedRequests || 0) + (x.errorRequests || 0);
      a.cp += (x.passedAssertions || 0) + (x.passedTests || 0) + (x.passedPreRequestTests || 0) + (x.passedPostResponseTests || 0);
      a.cf += (x.failedAssertions || 0) + (x.failedTests || 0) + (x.failedPreRequestTests || 0) + (x.failedPostResponseTests || 0);
      return a;
    }, { rp: 0, rf: 0, cp: 0, cf: 0 });
    console.log(`bruno requests: ${s.rp} passed, ${s.rf} failed`);
    console.log(`bruno: ${s.cp} passed, ${s.cf} failed`);
  ' "$WORK/results.json" || true
fi

if [[ "$status" -ne 0 ]]; then
  say "FAILED (bru exit status $status); server log: var/bruno/server.log"
fi
exit "$status"
