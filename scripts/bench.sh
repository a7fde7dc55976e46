#!/usr/bin/env bash
# Runs a named benchmark scenario against a messenger it starts itself (single-node profile:
# PostgreSQL and Redis from the test harness, every service a separate Release process) and writes
# a report (Markdown, JSON, PNG charts) under bench/results/<date-time>-<scenario>/.
#
#   bash scripts/bench.sh <scenario> [--quick] [--option value]...
#   scenarios: chat-throughput connections history auth notify relay search profile-visible flood soak all
#
# Installs what is missing (PostgreSQL, Redis; socket.io for the Socket.IO reference relay;
# dotnet-trace and dotnet-counters as local tools) and builds everything in Release first.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

if [ $# -eq 0 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

say() { printf '==> %s\n' "$*"; }

say "Installing what is missing (PostgreSQL, Redis)"
bash scripts/install-deps.sh

if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  if [ ! -d bench/socketio-relay/node_modules/socket.io ]; then
    say "Installing socket.io for the reference relay (npm ci)"
    (cd bench/socketio-relay && npm ci --no-audit --no-fund --loglevel=error) || echo "npm ci failed: the Socket.IO reference will be reported as not measured" >&2
  fi
else
  echo "node/npm not found: the Socket.IO reference will be reported as not measured" >&2
fi

say "Restoring dotnet-trace and dotnet-counters (local tools)"
dotnet tool restore >/dev/null || echo "dotnet tool restore failed: profiles will say the tools are unavailable" >&2

say "Building the services, the relays and the generator (Release)"
for project in src/Auth.Api src/User.Api src/Friendship.Api src/Chat.Api src/Notification.Api src/Messenger.Gateway bench/KestrelRelay bench/Messenger.Bench; do
  if ! output="$(dotnet build "$project" -c Release -nologo -v quiet "-clp:ErrorsOnly" 2>&1)"; then
    echo "$output" >&2
    exit 1
  fi
done

# Up to 100,000 client and server sockets: as many open files as this shell may have.
hard="$(ulimit -Hn)"
ulimit -n "$hard" 2>/dev/null || true
say "Open-file limit $(ulimit -n) (hard limit $hard)"

exec dotnet bench/Messenger.Bench/bin/Release/net10.0/Messenger.Bench.dll "$@"
