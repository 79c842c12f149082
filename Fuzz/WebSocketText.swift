// libFuzzer target: the WebSocket frame layer's text handling. UTF-8 validation, whole and
// fragment by fragment (split where the first byte says), agrees with the standard library;
// Sec-WebSocket-Extensions negotiation never crashes, and what it answers it accepts again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebSocketText(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let expected = String(validating: bytes, as: UTF8.self) != nil
    if UTF8Validation.isValid(bytes) != expected { fatalError("isValid disagrees with the standard library") }
    let split = size == 0 ? 0 : Int(bytes[0]) % (size + 1)
    var incremental = UTF8Validation.Incremental()
    let valid = incremental.feed(UnsafeRawBufferPointer(rebasing: bytes[..<split]))
        && incremental.feed(UnsafeRawBufferPointer(rebasing: bytes[split...])) && incremental.isComplete
    if valid != expected { fatalError("the incremental check disagrees at split \(split)") }

    let header = String(decoding: bytes, as: UTF8.self)
    if let accepted = PerMessageDeflate.negotiate(offers: [header]) {
        guard (9...15).contains(accepted.serverMaxWindowBits),
            PerMessageDeflate.negotiate(offers: [accepted.responseHeader]) == accepted
        else { fatalError("negotiated \(accepted) from \(header)") }
    }
    return 0
}
