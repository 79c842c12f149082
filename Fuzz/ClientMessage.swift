// libFuzzer target: the wire protocol's client-message decoder. Any bytes: a ClientMessage, or a
// JSON error, or a ProtocolFailure with a stable code; never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClientMessage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let value = try? JSONValue(parsing: bytes) else { return 0 }
    do {
        let message = try ClientMessage(value)
        if message.type.isEmpty { fatalError("a message without a type from \(value)") }
    } catch {
        if error.message.isEmpty { fatalError("a failure without a message") }
    }
    return 0
}
