#!/usr/bin/env bash
# Runs every test of the messenger: installs what is missing (PostgreSQL, Redis, Chromium for the
# browser tests), builds, runs `dotnet test` on the solution with one TRX file per test project in
# TestResults/, and ends with the summary computed from those files:
#   N passed, N failed[, N skipped]
# Extra arguments go to `dotnet test`, e.g. `bash scripts/test.sh --filter "FullyQualifiedName~Login"`.
# Exits non-zero when a test failed, a test run aborted, or a test project left no results.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

solution="Messenger.slnx"
results="TestResults"

say() { printf '==> %s\n' "$*"; }

say "Installing what is missing (PostgreSQL, Redis, Node.js, Chromium)"
if ! bash scripts/install-deps.sh --browser; then
  echo "Could not install the test dependencies; see above." >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# s3rver, the S3-protocol server the attachment store's S3 tests start on loopback, pinned by its lock file.
s3rver_dir="tests/Chat.Tests/s3rver"
if command -v npm >/dev/null 2>&1; then
  say "Installing s3rver for the S3 blob store tests"
  if ! (cd "$s3rver_dir" && npm ci --no-audit --no-fund --loglevel=error); then
    echo "npm ci in $s3rver_dir failed; the S3 blob store tests will fail and say so." >&2
  fi
else
  echo "npm is not installed; the S3 blob store tests will fail and say so." >&2
fi

rm -rf "$results"
started=$SECONDS

say "Building"
if ! dotnet build "$solution" -nologo -v quiet "-clp:ErrorsOnly;WarningsOnly"; then
  echo "The build failed; see the errors above." >&2
  echo "0 passed, 1 failed"
  exit 1
fi

say "Running the tests"
# LogFilePrefix gives every test project its own TRX file (prefix, framework and a timestamp).
dotnet test "$solution" --no-build -nologo \
  --logger "trx;LogFilePrefix=tests" --results-directory "$results" "$@"
test_exit=$?

say "Summary (from the TRX files in $results/, $(( SECONDS - started ))s)"
# A filter may leave some test projects without a single test to run; only a full run expects
# results from every test project.
partial=()
(( $# > 0 )) && partial=(--partial)
dotnet run scripts/TestSummary.cs -- "$results" "$solution" "$test_exit" "${partial[@]}"
