#!/usr/bin/env bash
# Installs what RAAFStreaming needs beyond the Swift toolchain, when it is missing.
# Idempotent: safe to run before every build. Needs root (or sudo) only to install.
set -euo pipefail

if ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: the Swift toolchain (swift 6.1 or later) is not on PATH" >&2
    exit 1
fi

# Debian packages the build or the tests need. Each later part of the project adds its own here.
packages=(libhiredis-dev redis-server)

missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "install-deps: installing ${missing[*]}"
    $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}"
fi

# Python tools for interop tests: an independent OpenAI-compatible server (fakellm) and an
# independent WebSocket client (websockets, with permessage-deflate).
# Best effort: without them those tests are reported as skipped, with the reason.
python_tools=("fakellm==0.3.5" "websockets==17.*")
if command -v python3 >/dev/null 2>&1; then
    if ! python3 -c "import fakellm, sys; sys.exit(fakellm.__version__ != '0.3.5')" >/dev/null 2>&1 \
        || ! python3 -c "import websockets, sys; sys.exit(websockets.__version__.split('.')[0] != '17')" >/dev/null 2>&1; then
        echo "install-deps: installing ${python_tools[*]} from PyPI"
        python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore "${python_tools[@]}" \
            || echo "install-deps: could not install ${python_tools[*]}; the tests that need them will be skipped" >&2
    fi
else
    echo "install-deps: no python3; the tests that need fakellm or websockets will be skipped" >&2
fi
