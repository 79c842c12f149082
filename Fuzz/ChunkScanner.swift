// libFuzzer target: the Chat Completions chunk scanner (ChatCompletionChunkDecoder over
// JSONScanner). Any bytes: deltas or a typed error (StreamingError), never a crash or a hang.
// It is a scanner, not a validator, on purpose (issue 3's fast path): the fuzzer found that it
// accepts raw control bytes and invalid UTF-8 inside strings (it finds a string's end with
// memchr; a value's bad bytes become U+FFFD), and an unknown member's value that is not JSON
// (it skips what it does not read), and a lone surrogate escape becomes U+FFFD
// (docs/PROTOCOL.md). Those inputs are in Tests/FuzzCorpus/ChunkScanner as regressions.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChunkScanner(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    var deltas: [ModelDelta] = []
    do {
        _ = try ChatCompletionChunkDecoder().decode(bytes, into: &deltas)
    } catch is StreamingError {
        return 0
    } catch {
        fatalError("an untyped error: \(error)")
    }
    return 0
}

