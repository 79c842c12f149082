#!/usr/bin/env bash
# libFuzzer over every hand-written parser (issue 15). Each target in Fuzz/ is compiled with the
# source files it checks into one module (imports of our own modules removed), with
# `-sanitize=fuzzer,address`, and run for FUZZ_SECONDS (default 60) on a working corpus in
# .build-fuzz/corpus/TARGET seeded from the committed Tests/FuzzCorpus/TARGET. Every crash,
# timeout or difference found is copied into Tests/FuzzCorpus/TARGET, which the normal test
# suite replays (so CI guards it without a fuzzer). Exits 1 when a target found something.
#   scripts/fuzz/run.sh [TARGET...]     (default: all)
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds="${FUZZ_SECONDS:-60}"
out=.build-fuzz
swiftc="${SWIFTC:-$(dirname "$(command -v swift)")/swiftc}"
mkdir -p "$out/bin"

own_modules='^import (StreamingDomain|StreamingApplication|StreamingOpenAI|StreamingWebSocket|StreamingRedis)$'
domain=(Sources/Domain/*.swift Sources/Domain/*/*.swift)

# The sources each target is built from (beside Fuzz/TARGET.swift), and extra compiler flags.
sources() {
    case "$1" in
    JSONParser) printf '%s\n' "${domain[@]}" ;;
    ChunkScanner) printf '%s\n' "${domain[@]}" Sources/Adapters/OpenAI/ChatCompletionChunkDecoder.swift Sources/Adapters/OpenAI/JSONScanner.swift ;;
    SSEParser) printf "%s\n" Sources/Adapters/OpenAI/ServerSentEventParser.swift Sources/Adapters/OpenAI/JSONScanner.swift ;;
    WebSocketText) printf '%s\n' Sources/Adapters/WebSocket/Frames/UTF8Validation.swift Sources/Adapters/WebSocket/Frames/PerMessageDeflate.swift ;;
    RESPReader) printf '%s\n' "${domain[@]}" Sources/Adapters/Redis/Connection/RedisReply.swift ;;
    ClientMessage) printf '%s\n' "${domain[@]}" Sources/Application/Connections/ClientMessage.swift Sources/Application/Connections/ProtocolError.swift Sources/Application/Connections/CloseCode.swift ;;
    ForwardedHeader) printf '%s\n' Sources/Adapters/WebSocket/HTTP/ForwardedHeader.swift Sources/Adapters/WebSocket/HTTP/TrustedProxies.swift ;;
    *) echo "unknown fuzz target $1" >&2; return 1 ;;
    esac
}
flags() {
    extra=()
    case "$1" in
    RESPReader) extra=(-I Sources/CHiredis -lhiredis) ;;
    ForwardedHeader) nio_core ;;
    esac
}

# NIOCore (IPAddress parses and prints through its SocketAddress), uninstrumented, from the debug
# build: its module and those of its dependencies, their objects linked in (with lld: gold
# fails on them).
nio_core() {
    swift build --target NIOCore >"$out/nio-core.log" 2>&1 || { echo "fuzz: NIOCore did not build:"; cat "$out/nio-core.log"; exit 2; }
    local debug modules module map object
    debug="$(swift build --show-bin-path)"
    modules=(NIOCore NIOConcurrencyHelpers CNIOAtomics _NIOBase64 _NIODataStructures CNIOLinux CNIODarwin CNIOWindows
        CNIOWASI CNIOOpenBSD CNIOFreeBSD Atomics _AtomicsShims DequeModule ContainersPreview InternalCollectionsUtilities)
    extra=(-use-ld=lld -I "$debug/Modules")
    for module in "${modules[@]}"; do
        map="$debug/$module.build/module.modulemap"
        [ -f "$map" ] || map="$(find .build/checkouts/*/Sources/"$module"/include -name module.modulemap 2>/dev/null | head -1)"
        [ -z "$map" ] || extra+=(-Xcc "-fmodule-map-file=$map")
        while IFS= read -r object; do extra+=("$object"); done < <(find "$debug/$module.build" -name '*.o')
    done
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(JSONParser ChunkScanner SSEParser WebSocketText RESPReader ClientMessage ForwardedHeader)
found=0
for target in "${targets[@]}"; do
    build="$out/src/$target"
    rm -rf "$build" && mkdir -p "$build"
    list="$(sources "$target")" || exit 2
    while IFS= read -r file; do
        # One module: the parser's own files, their imports of our modules removed.
        sed -E "s/$own_modules//" "$file" >"$build/$(echo "$file" | tr / _)"
    done <<<"$list"
    cp "Fuzz/$target.swift" "$build/"
    flags "$target"
    if ! "$swiftc" -parse-as-library -sanitize=fuzzer,address -Onone -g -module-name "Fuzz$target" \
        "${extra[@]}" "$build"/*.swift -o "$out/bin/$target" 2>"$build/build.log"; then
        echo "fuzz: $target did not build:"; cat "$build/build.log"; exit 2
    fi
    corpus="$out/corpus/$target"
    regressions="Tests/FuzzCorpus/$target"
    artifacts="$out/artifacts/$target"
    mkdir -p "$corpus" "$regressions" "$artifacts"
    SWIFT_BACKTRACE=enable=no "$out/bin/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$corpus" "$regressions" >"$out/$target.log" 2>&1
    status=$?
    executions="$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$out/$target.log" | grep -Eo '[0-9]+$' || echo '?')"
    new=0
    for artifact in "$artifacts"/*; do
        [ -e "$artifact" ] || continue
        cp "$artifact" "$regressions/$(basename "$artifact")"
        rm "$artifact"
        new=$((new + 1))
    done
    if [ "$status" -ne 0 ] || [ "$new" -gt 0 ]; then
        found=1
        echo "fuzz: $target: FOUND $new input(s) in $seconds s ($executions executions), now in $regressions; see $out/$target.log"
        grep -E "Fatal error|ERROR:|SUMMARY" "$out/$target.log" | head -5
    else
        echo "fuzz: $target: $executions executions in $seconds s, nothing found (corpus: $(ls "$corpus" | wc -l) inputs)"
    fi
done
exit "$found"
