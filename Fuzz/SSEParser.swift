// libFuzzer target: the Server-Sent Events parser. The same bytes give the same events however
// they are split: whole, at every position (or 64 positions for long inputs), byte by byte.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSSEParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = FuzzSSE.events([bytes[...]])
    let step = max(1, bytes.count / 64)
    for split in stride(from: 0, through: bytes.count, by: step) {
        let parts = FuzzSSE.events([bytes[..<split], bytes[split...]])
        if parts != whole { fatalError("split at \(split) of \(bytes.count) changed the events: \(parts) vs \(whole)") }
    }
    let byteByByte = FuzzSSE.events(bytes.map { [$0][...] })
    if byteByByte != whole { fatalError("byte by byte changed the events: \(byteByByte) vs \(whole)") }
    return 0
}

enum FuzzSSE {
    static func events(_ chunks: [ArraySlice<UInt8>]) -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for chunk in chunks { parser.feed(chunk) { events.append($0) } }
        return events
    }
}
