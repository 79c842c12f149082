// libFuzzer target: RESP replies as the Redis adapter reads them: hiredis's reader over any
// bytes, then RedisReply's copy of each reply. A protocol error is a typed failure, never a crash.
import CHiredis

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESPReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let reader = redisReaderCreate() else { return 0 }
    defer { redisReaderFree(reader) }
    data.withMemoryRebound(to: CChar.self, capacity: size) { _ = redisReaderFeed(reader, $0, size) }
    while true {
        var reply: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &reply) == REDIS_OK, let reply else { break }
        let copied = RedisReply(reply.assumingMemoryBound(to: redisReply.self))
        freeReplyObject(reply)
        _ = copied.string
        _ = copied.integer
        _ = try? copied.checked("fuzz")
    }
    return 0
}
