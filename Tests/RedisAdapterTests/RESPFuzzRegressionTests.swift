import CHiredis
import StreamingTestSupport
import Testing

@testable import StreamingRedis

/// What `make fuzz` found in the RESP reply path (Fuzz/RESPReader.swift), replayed: hiredis's
/// reader over the bytes, then RedisReply's copy of every reply it returns; never a crash.
/// Needs no server.
@Suite("RESP reader fuzz regressions")
struct RESPFuzzRegressionTests {
    @Test(arguments: FuzzCorpus.inputs("RESPReader"))
    func replay(_ input: FuzzCorpus.Input) throws {
        let replies = try Self.read(input.bytes)
        if input.name == "seed-replies.txt" {
            #expect(replies.first == .status("OK"))
            #expect(replies.contains(.error("ERR bad")))
            #expect(replies.contains(.integer(42)))
            #expect(replies.contains(.bulk(Array("hello".utf8))))
            #expect(replies.contains(.array([.bulk([UInt8(ascii: "a")]), .integer(1), .null])))
        }
    }

    static func read(_ bytes: [UInt8]) throws -> [RedisReply] {
        let reader = try #require(redisReaderCreate())
        defer { redisReaderFree(reader) }
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { _ = redisReaderFeed(reader, $0.baseAddress, $0.count) }
        }
        var replies: [RedisReply] = []
        while true {
            var reply: UnsafeMutableRawPointer?
            guard redisReaderGetReply(reader, &reply) == REDIS_OK, let reply else { break }
            replies.append(RedisReply(reply.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(reply)
        }
        return replies
    }
}
