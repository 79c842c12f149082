// libFuzzer target: the Chat Completions chunk scanner (ChatCompletionChunkDecoder over
// JSONScanner). Any bytes: deltas or a typed error (StreamingError), never a crash or a hang;
// what it accepts is JSON the Domain parser accepts too, but for lone surrogate escapes, which
// the scanner turns into U+FFFD on purpose (docs/PROTOCOL.md), and for strings holding raw
// control characters or invalid UTF-8: the scanner finds a string's end with memchr and does
// not look inside it (issue 3's fast path; a value's bad bytes become U+FFFD, an unknown key is
// skipped), which the fuzzer found and which stays on purpose.
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
    let hasEscape = bytes.contains(UInt8(ascii: "\\"))
    let rawBytes = bytes.contains { $0 < 0x20 && ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        || String(validating: bytes, as: UTF8.self) == nil
    if !hasEscape, !rawBytes, (try? JSONValue(parsing: bytes)) == nil, String(decoding: bytes, as: UTF8.self) != "[DONE]" {
        fatalError("the scanner accepted what is not JSON")
    }
    return 0
}
