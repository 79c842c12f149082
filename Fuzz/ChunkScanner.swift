// libFuzzer target: the Chat Completions chunk scanner (ChatCompletionChunkDecoder over
// JSONScanner). Any bytes: deltas or a typed error (StreamingError), never a crash or a hang;
// what it accepts is JSON the Domain parser accepts too, but for lone surrogate escapes, which
// the scanner turns into U+FFFD on purpose (docs/PROTOCOL.md).
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
    if !hasEscape, (try? JSONValue(parsing: bytes)) == nil, String(decoding: bytes, as: UTF8.self) != "[DONE]" {
        fatalError("the scanner accepted what is not JSON")
    }
    return 0
}
