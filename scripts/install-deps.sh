#!/usr/bin/env bash
# Installs what RAAFStreaming needs beyond the Swift toolchain, when it is missing.
# Idempotent: safe to run before every build. Needs root (or sudo) only to install.
set -euo pipefail

if ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: the Swift toolchain (swift 6.1 or later) is not on PATH" >&2
    exit 1
fi

# Debian packages the build or the tests need. Each later part of the project adds its own here.
packages=()

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
