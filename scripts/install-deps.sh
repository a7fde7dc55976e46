#!/usr/bin/env bash
# Installs the servers the messenger runs and tests against (PostgreSQL, Redis, Node.js for the
# S3 test server and, with --browser, Chromium) from Debian/Ubuntu packages. Safe to run again: it installs only what is
# missing and calls `apt-get update` only when something has to be installed.
#
# The packaged services are stopped afterwards: the messenger starts its own PostgreSQL and
# Redis processes on free ports, so a system-wide instance is never needed.
set -euo pipefail

want_browser=false
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=true ;;
    -h|--help)
      echo "usage: $0 [--browser]"
      echo "  installs postgresql, redis-server, nodejs and npm (and chromium with --browser) when missing"
      exit 0 ;;
    *) echo "unknown option: $arg (try --help)" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  as_root=()
fi

have_postgres() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ] && [ -x "$dir/pg_ctl" ] && return 0
  done
  return 1
}
have_redis() { command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]; }
have_chromium() { [ -x /usr/lib/chromium/chromium ] || command -v chromium >/dev/null 2>&1; }
# Node.js runs s3rver, the S3-protocol server the attachment store's S3 tests use (Debian 12's 18.x is enough).
have_node() { command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; }

missing=()
have_postgres || missing+=(postgresql)
have_redis || missing+=(redis-server)
have_node || missing+=(nodejs npm)
# Without recommends, chromium comes with no Latin fonts of web-common metrics; pages rendered in
# browser tests should look as they do for users.
if $want_browser && ! have_chromium; then missing+=(chromium fonts-liberation); fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: nothing to install (postgresql, redis-server, nodejs$($want_browser && echo ', chromium') present)"
  exit 0
fi

if [ "$(id -u)" -ne 0 ] && [ ${#as_root[@]} -eq 0 ]; then
  echo "install-deps: missing ${missing[*]}; run this script as root or install sudo" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: missing ${missing[*]}, but apt-get is not available; install them with your package manager" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"

# Package scripts may start a system-wide cluster on 5432 or redis on 6379; the messenger never
# uses them. Where there is no init system these commands fail, which is fine.
for pkg in "${missing[@]}"; do
  case "$pkg" in
    postgresql) "${as_root[@]}" service postgresql stop >/dev/null 2>&1 || true ;;
    redis-server) "${as_root[@]}" service redis-server stop >/dev/null 2>&1 || true ;;
  esac
done

have_postgres || { echo "install-deps: postgresql server binaries still not found under /usr/lib/postgresql/*/bin" >&2; exit 1; }
have_redis || { echo "install-deps: redis-server still not found" >&2; exit 1; }
have_node || { echo "install-deps: node and npm still not found" >&2; exit 1; }
if $want_browser; then have_chromium || { echo "install-deps: chromium still not found" >&2; exit 1; }; fi

echo "install-deps: installed ${missing[*]}"
