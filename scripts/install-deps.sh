#!/usr/bin/env bash
# Installs what RAAFStreaming needs beyond the Swift toolchain, when it is missing.
# Idempotent: safe to run before every build. Needs root (or sudo) only to install.
set -euo pipefail

if ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: the Swift toolchain (swift 6.1 or later) is not on PATH" >&2
    exit 1
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_updated=0
apt_install() {
    if [ "$apt_updated" -eq 0 ]; then
        $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq || return 1
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq "$@"
}
# Sets `missing` to those of the given packages that are not installed.
find_missing() {
    missing=()
    local package
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
}

# Debian packages the build or the tests need. Each later part of the project adds its own here.
packages=(libhiredis-dev redis-server)

find_missing "${packages[@]}"
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    apt_install "${missing[@]}"
fi

# The reverse-proxy test (Tests/CLITests/ServeBehindProxyTests.swift) puts Debian's nginx in
# front of `serve`. Best effort: without it that test is reported as skipped, with the reason.
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    echo "install-deps: installing nginx-light for the reverse-proxy test"
    apt_install nginx-light \
        || echo "install-deps: could not install nginx-light; the reverse-proxy test will be skipped" >&2
fi

# The chat page's browser test (Tests/WebSocketTests/Interop/chat_browser.py) drives headless
# Chromium through chromedriver. Chromium is large: RAAF_BROWSER_TESTS=0 leaves it out.
# Best effort: without them the browser test is reported as skipped, with the reason.
browser_tests="${RAAF_BROWSER_TESTS:-1}"
if [ "$browser_tests" != "0" ]; then
    find_missing chromium chromium-driver
    if [ ${#missing[@]} -gt 0 ]; then
        echo "install-deps: installing ${missing[*]} for the browser test (RAAF_BROWSER_TESTS=0 leaves them out)"
        apt_install "${missing[@]}" \
            || echo "install-deps: could not install ${missing[*]}; the browser test will be skipped" >&2
    fi
fi

# Python tools for interop tests: an independent OpenAI-compatible server (fakellm), an
# independent WebSocket client (websockets, with permessage-deflate), an independent HTTP/1.1
# and HTTP/2 server for the model over TLS (hypercorn, with h2), and Selenium for the browser
# test (unless RAAF_BROWSER_TESTS=0).
# Best effort: without them those tests are reported as skipped, with the reason.
python_tools=("fakellm==0.3.5" "websockets==17.*" "hypercorn==0.18.0")
python_check="import fakellm, websockets, hypercorn.asyncio, h2, sys
from importlib.metadata import version
sys.exit(fakellm.__version__ != '0.3.5' or websockets.__version__.split('.')[0] != '17' or version('hypercorn') != '0.18.0')"
if [ "$browser_tests" != "0" ]; then
    python_tools+=("selenium==4.51.0")
    python_check+="
import selenium
sys.exit(selenium.__version__ != '4.51.0')"
fi
if command -v python3 >/dev/null 2>&1; then
    if ! python3 -c "$python_check" >/dev/null 2>&1; then
        echo "install-deps: installing ${python_tools[*]} from PyPI"
        python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore "${python_tools[@]}" \
            || echo "install-deps: could not install ${python_tools[*]}; the tests that need them will be skipped" >&2
    fi
else
    echo "install-deps: no python3; the tests that need fakellm, websockets, hypercorn or selenium will be skipped" >&2
fi
