#!/usr/bin/env bash
# Installs the Autobahn testsuite (`autobahntestsuite` from PyPI, Python 2 only) into a
# virtualenv of pyenv's Python 2.7, in $AUTOBAHN_VENV (default .build-autobahn/venv).
# Idempotent. Exits 3, saying why on stderr, when it cannot: the caller reports "skipped".
set -uo pipefail
cd "$(dirname "$0")/../.."
venv="${AUTOBAHN_VENV:-.build-autobahn/venv}"
if [ -x "$venv/bin/wstest" ]; then exit 0; fi

python2=""
for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/2.7*/bin/python2.7 "$(command -v python2.7 || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then python2="$candidate"; break; fi
done
if [ -z "$python2" ]; then
    echo "no Python 2.7 (the Autobahn testsuite runs on Python 2 only; pyenv's 2.7 is looked for)" >&2
    exit 3
fi
mkdir -p "$(dirname "$venv")"
log="$(dirname "$venv")/install.log"
{
    # virtualenv 20.21 is the last to create Python 2 environments.
    "$python2" -m virtualenv --version >/dev/null 2>&1 || "$python2" -m pip install -q "virtualenv<20.22"
    "$python2" -m virtualenv -q "$venv"
    "$venv/bin/pip" install -q "autobahntestsuite==25.10.1"
} >"$log" 2>&1
if [ ! -x "$venv/bin/wstest" ]; then
    echo "could not install autobahntestsuite into a Python 2.7 virtualenv (see $log): $(tail -n 1 "$log")" >&2
    rm -rf "$venv"
    exit 3
fi
