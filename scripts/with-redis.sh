#!/usr/bin/env bash
# Runs a command with REDIS_URL pointing at a Redis server: the one already in REDIS_URL,
# else a throwaway redis-server on a free loopback port, stopped when the command ends.
set -euo pipefail
if [ -n "${REDIS_URL:-}" ] || ! command -v redis-server >/dev/null 2>&1; then
    exec "$@"
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --logfile "" >/dev/null &
server=$!
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || kill -9 "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
done
REDIS_URL="redis://127.0.0.1:$port" "$@"
