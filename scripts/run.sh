#!/usr/bin/env bash
# Runs the whole messenger on this machine: installs PostgreSQL and Redis when missing, builds,
# starts the Aspire app host (PostgreSQL, Redis and every service, with the dashboard), waits until
# the services are healthy and prints where to open them. Ctrl-C stops everything.
#
# Data lives in .data/ at the repository root and survives restarts; delete it to start afresh.
# Arguments go to the app host, e.g. --Messenger:EventBus:Transport=kafka (see the README).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

dashboard_url="http://localhost:18888"
# name and port of every service whose /health/ready must answer before the messenger is ready
gateway_port="${MESSENGER_PORT:-8080}"
services=(
  "Auth 5101"
  "User 5102"
  "Friendship 5103"
  "Chat 5104"
  "Notification 5105"
  "Gateway $gateway_port"
)
start_timeout_seconds=300

log_dir="$repo/.data/logs"
log_file="$log_dir/apphost.log"

say() { printf '==> %s\n' "$*"; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True when GET $2 on 127.0.0.1:$1 answers 200. Bash's /dev/tcp needs no curl on a fresh machine.
http_ok() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'GET %s HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$2" >&3
    IFS= read -r -t 5 status_line <&3 || exit 1
    [[ $status_line == HTTP/1.?" 200"* ]]
  ) 2>/dev/null
}

say "Installing what is missing (PostgreSQL, Redis)"
bash scripts/install-deps.sh

for port in 18888 18889 18890 $(for s in "${services[@]}"; do echo "${s##* }"; done); do
  if port_in_use "$port"; then
    echo "Port $port is already in use. Is the messenger already running? Stop it (Ctrl-C in its terminal) and try again." >&2
    exit 1
  fi
done

say "Building"
dotnet build src/Messenger.AppHost/Messenger.AppHost.csproj -nologo -v quiet "-clp:ErrorsOnly;WarningsOnly"

export ASPNETCORE_ENVIRONMENT=Development
export DOTNET_ENVIRONMENT=Development
export ASPNETCORE_URLS="$dashboard_url"
export ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL="http://localhost:18889"
export ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL="http://localhost:18890"
# Local development only: plain HTTP between the app host, its dashboard and the services, and a
# dashboard without a login token. Everything listens on loopback.
export ASPIRE_ALLOW_UNSECURED_TRANSPORT=true
export ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true

mkdir -p "$log_dir"
say "Starting PostgreSQL, Redis and the services (app host log: ${log_file#"$repo"/})"
# Its own session keeps the terminal's Ctrl-C away from the app host and its children: this script
# stops them in order with SIGTERM instead. Its folder is the content root (appsettings.json).
cd src/Messenger.AppHost
setsid dotnet bin/Debug/net10.0/Messenger.AppHost.dll "$@" >"$log_file" 2>&1 &
apphost_pid=$!
cd "$repo"

# The app host logs this when a server or service stops with an error (ResourceFailureLog).
failure_marker="Messenger resource failed"

stopping=false
stop_apphost() {
  stopping=true
  say "Stopping the messenger"
  # The app host stops every server and service before it exits (DcpPublisher:WaitForResourceCleanup).
  kill -TERM "$apphost_pid" 2>/dev/null || true
  wait "$apphost_pid" 2>/dev/null || true
  say "Stopped"
}
stop() {
  $stopping && return
  echo
  stop_apphost
  exit 0
}
trap stop INT TERM HUP

apphost_alive() { kill -0 "$apphost_pid" 2>/dev/null; }

fail_start() {
  echo "The messenger did not start: $1" >&2
  echo "Last lines of ${log_file#"$repo"/}:" >&2
  tail -n 30 "$log_file" >&2 || true
  if apphost_alive; then
    echo "The dashboard ($dashboard_url) shows each resource's state and logs; press Ctrl-C to stop." >&2
  fi
}

started=$SECONDS
for service in "${services[@]}"; do
  name="${service% *}"
  port="${service##* }"
  until http_ok "$port" /health/ready; do
    if ! apphost_alive; then
      fail_start "the app host exited"
      exit 1
    fi
    if grep -q "$failure_marker" "$log_file"; then
      echo "The messenger did not start:" >&2
      grep -A 32 "$failure_marker" "$log_file" >&2
      stop_apphost
      exit 1
    fi
    if (( SECONDS - started > start_timeout_seconds )); then
      fail_start "$name (port $port) was not healthy after ${start_timeout_seconds}s"
      wait "$apphost_pid" || true
      exit 1
    fi
    sleep 1
  done
done

echo
echo "The messenger is running (ready in $(( SECONDS - started ))s). Open:"
echo
echo "    http://localhost:$gateway_port"
echo
echo "Every part, for direct access:"
for service in "${services[@]}"; do
  printf '  %-14s http://localhost:%s\n' "${service% *}" "${service##* }"
done
printf '  %-14s %s\n' "Dashboard" "$dashboard_url"
echo "Press Ctrl-C to stop."

wait "$apphost_pid" || true
if ! $stopping; then
  echo "The app host exited; last lines of ${log_file#"$repo"/}:" >&2
  tail -n 30 "$log_file" >&2 || true
  exit 1
fi
