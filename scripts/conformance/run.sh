#!/usr/bin/env bash
# The Autobahn testsuite against Examples/EchoServer (built beforehand, debug).
#   scripts/conformance/run.sh CASES [REPORT]
# CASES: comma-separated Autobahn case patterns ("*" for all, "1.*,2.*" for sections).
# REPORT: the Markdown report to write (docs/CONFORMANCE.md), optional.
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
binary="$(${SWIFT:-swift} build --show-bin-path)/EchoServer"
arguments=(--wstest "$venv/bin/wstest" --binary "$binary" --cases "$cases" --outdir ".build-autobahn/reports")
[ -n "$report" ] && arguments+=(--report "$report")
PYTHONDONTWRITEBYTECODE=1 python3 scripts/conformance/run.py "${arguments[@]}"
