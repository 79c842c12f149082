#!/usr/bin/env bash
# The Autobahn testsuite against Examples/EchoServer (built beforehand: debug, or release with
# CONFORMANCE_CONFIGURATION=release; ECHO_SERVER=PATH names a binary outright).
#   scripts/conformance/run.sh CASES [REPORT]
# CASES: comma-separated Autobahn case patterns ("*" for all, "1.*,2.*" for sections).
# REPORT: the Markdown report to write (docs/CONFORMANCE.md), optional.
# CONFORMANCE_CHUNKS=1: each pattern of CASES is a run of its own that keeps its verdicts when
# it ends; CONFORMANCE_RESUME=1 also reuses the verdicts of chunks an earlier run finished.
# Installs the suite first (scripts/conformance/install.sh); when it cannot be installed, says
# "skipped" with the reason and exits 0. Exits 1 when a case is FAILED or closes with a WRONG CODE.
set -euo pipefail
cd "$(dirname "$0")/../.."
cases="${1:-*}"
report="${2:-}"
venv="${AUTOBAHN_VENV:-.build-autobahn/venv}"
if ! reason="$(scripts/conformance/install.sh 2>&1)"; then
    echo "conformance: skipped: the Autobahn testsuite cannot be installed here: ${reason:-unknown reason}"
    exit 0
fi
binary="${ECHO_SERVER:-$(${SWIFT:-swift} build -c "${CONFORMANCE_CONFIGURATION:-debug}" --show-bin-path)/EchoServer}"
arguments=(--wstest "$venv/bin/wstest" --binary "$binary" --cases "$cases" --outdir ".build-autobahn/reports")
[ -n "$report" ] && arguments+=(--report "$report")
[ "${CONFORMANCE_CHUNKS:-0}" = 1 ] && arguments+=(--chunks)
[ "${CONFORMANCE_RESUME:-0}" = 1 ] && arguments+=(--resume)
PYTHONDONTWRITEBYTECODE=1 python3 scripts/conformance/run.py "${arguments[@]}"
