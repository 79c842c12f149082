#!/usr/bin/env bash
# Time to first token through `raaf-streaming serve` (release) at 10, 100 and 500 concurrent
# agent streams, in front of a paced OpenAI-compatible model (3 s answers): p50 and p99.
# Each case runs twice: with the default provider.max_connections, and with 8 connections and
# a 10 s queue timeout, the behaviour before issue 18 (AsyncHTTPClient's default pool: 8
# connections per host, a request failing after 10 s without one).
#
# Usage: scripts/bench-model-ttft.sh [STREAMS...]   (default: 10 100 500)
# TTFT_TRACE=PATH (passed to the model and the clients) writes per-stream timestamps that
# Benchmarks/ModelLoad/ttft_split.py splits (for the last burst) into the way in, the model and the way out.
# Builds into .build-bench; figures go to docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then streams=("$@"); else streams=(10 100 500); fi
if [ -z "${SERVE_BIN:-}" ]; then
    swift build -c release --scratch-path .build-bench --product raaf-streaming >&2
fi
serve_bin=${SERVE_BIN:-.build-bench/release/raaf-streaming}   # SERVE_BIN: another build, for a try-out
here=Benchmarks/ModelLoad

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

model_port=$(free_port)
python3 "$here/paced_model.py" "$model_port" 3 2 >/dev/null &
model=$!
trap 'kill -9 -- $model $(pgrep -P $model) 2>/dev/null || true' EXIT
sleep 1

run_case() { # label streams env...
    local label=$1 count=$2
    shift 2
    local port
    port=$(free_port)
    env -u OPENAI_API_KEY -u REDIS_URL CHAT_STORE=memory RAAF_LOG_LEVEL=warning STREAMING_CHUNK_SIZE=16 \
        OPENAI_BASE_URL="http://127.0.0.1:$model_port/v1" "$@" \
        "$serve_bin" serve --host 127.0.0.1 --port "$port" >/dev/null 2>&1 &
    local server=$!
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
        sleep 0.1
    done
    # One stream first, so the server's own start-up is not measured. Then the burst twice:
    # "cold" opens a new connection to the model for every request; "warm" finds the
    # connections the first burst left open (kept alive), as a server in use does.
    python3 "$here/ttft_clients.py" "ws://127.0.0.1:$port/ws" 1 1 >/dev/null
    printf '%s\t%s\tcold\t%s\n' "$label" "$count" "$(python3 "$here/ttft_clients.py" "ws://127.0.0.1:$port/ws" "$count")"
    printf '%s\t%s\twarm\t%s\n' "$label" "$count" "$(python3 "$here/ttft_clients.py" "ws://127.0.0.1:$port/ws" "$count")"
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
}

for count in "${streams[@]}"; do
    run_case "max_connections 1000" "$count"
    run_case "8 connections (before)" "$count" OPENAI_MAX_CONNECTIONS=8 OPENAI_QUEUE_TIMEOUT=10
done
