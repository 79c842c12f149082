import Foundation
import RAAFStreaming
import StreamingTestSupport
import Testing

/// `callback_url`: results POSTed to a real HTTP receiver (Python's http.server, which checks
/// the HMAC-SHA256 signature with Python's hmac), retried, dead with the reason.
@Suite("Message queue callbacks", .serialized)
struct CallbackTests {
    static let secret = "webhook-secret-1"

    /// A message queue in memory with retries a few milliseconds apart, answering with the
    /// offline model; `body` runs while `process` runs.
    static func withMessages(
        sender: HTTPCallbackSender = HTTPCallbackSender(configuration: .init(secret: secret, timeout: .seconds(5))),
        callbackAttempts: Int = 3,
        maxAttempts: Int = 2,
        workers: Int = 4,
        handler: (@Sendable (ReceivedMessage) async throws -> MessageAnswer)? = nil,
        _ body: (MessageQueue, CallbackReceiver) async throws -> Void
    ) async throws {
        let system = try Streaming.configure(environment: [:], provider: ScriptedModelProvider())
        let receiver = try await CallbackReceiver.start(secret: secret)
        let messages = MessageQueue(
            queue: InMemoryJobQueue(), lease: .seconds(30),
            backoff: RetryBackoff(base: .milliseconds(20), cap: .milliseconds(100)), maxAttempts: maxAttempts,
            workers: workers, callbacks: sender, callbackAttempts: callbackAttempts, pollInterval: .milliseconds(10))
        let agents = system.agents
        let runner = system.runner
        let answer = handler ?? { received in
            MessageAnswer(try await runner.run(agents[received.message.agent.name]!, received.message.content))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await messages.process(answer) }
            do {
                try await waitUntil("the consumer to run") { (try? await messages.stats().running) == true }
                try await body(messages, receiver)
            } catch {
                messages.shutdown()
                await receiver.stop()
                throw error
            }
            messages.shutdown()
            try await group.waitForAll()
        }
        await receiver.stop()
    }

    @Test("the answer is POSTed as signed JSON; a 500 is retried with the same delivery id until a 200")
    func answerAfterAFailure() async throws {
        try await Self.withMessages { messages, receiver in
            let id = try await messages.enqueue(
                message: "weather in Oslo", agentConfig: AgentConfiguration(name: "assistant"),
                callbackURL: receiver.url("/flaky"), metadata: ["user": "u1"])
            try await waitUntil("the receiver to accept the callback") { receiver.deliveries.count == 2 }
            let deliveries = receiver.deliveries
            #expect(deliveries.map(\.status) == [500, 200])
            let allSigned = deliveries.allSatisfy { $0.signatureOK }
            #expect(allSigned)
            #expect(deliveries[0].delivery != nil && deliveries[0].delivery == deliveries[1].delivery)
            let body = deliveries[1].json
            #expect(body["id"] as? String == id.rawValue)
            #expect(body["status"] as? String == "completed")
            #expect(body["agent"] as? String == "assistant")
            #expect((body["final_output"] as? String)?.contains("Oslo") == true)
            #expect((body["usage"] as? [String: Any])?["total_tokens"] as? Int ?? 0 > 0)
            #expect(body["metadata"] as? [String: String] == ["user": "u1"])
            try await waitUntil("the callback job to complete") { (try? await messages.stats().completedJobs) == 2 }
            #expect(try await messages.stats().failedJobs == 0)
        }
    }

    @Test("a message that fails its last attempt gets its error POSTed")
    func errorAfterLastAttempt() async throws {
        try await Self.withMessages(handler: { _ in throw ModelDown() }) { messages, receiver in
            let id = try await messages.enqueue(
                message: "hi", agentConfig: AgentConfiguration(name: "assistant"), callbackURL: receiver.url("/ok"))
            try await waitUntil("the failure to be POSTed") { receiver.deliveries.count == 1 }
            let body = receiver.deliveries[0].json
            #expect(body["id"] as? String == id.rawValue)
            #expect(body["status"] as? String == "failed")
            #expect(body["attempts"] as? Int == 2)
            #expect((body["error"] as? String)?.contains("the model is down") == true)
            #expect(body["final_output"] == nil)
        }
    }

    @Test("a callback that keeps failing is dead with the reason; other messages are answered meanwhile")
    func deadAfterRepeatedFailures() async throws {
        // One-second timeout against a receiver that takes five: every attempt of /slow fails.
        let sender = HTTPCallbackSender(configuration: .init(secret: Self.secret, timeout: .seconds(1)))
        try await Self.withMessages(sender: sender, callbackAttempts: 2) { messages, receiver in
            _ = try await messages.enqueue(message: "a", agentConfig: .init(name: "assistant"), callbackURL: receiver.url("/slow"))
            _ = try await messages.enqueue(message: "b", agentConfig: .init(name: "assistant"), callbackURL: receiver.url("/ok"))
            try await waitUntil("the other message's callback") { receiver.deliveries.contains { $0.path == "/ok" } }
            // Answered while the slow callback still takes its attempts (a second each).
            #expect(try await messages.queue.deadJobs(limit: 10).isEmpty)
            try await waitUntil(timeout: .seconds(20), "the slow callback to be dead") {
                (try? await messages.queue.deadJobs(limit: 10).count) == 1
            }
            let dead = try await messages.queue.deadJobs(limit: 10)[0]
            #expect(dead.name == Callbacks.jobName)
            #expect(dead.attempts == 2)
            #expect(dead.lastError?.contains("POST to http://127.0.0.1:\(receiver.port)/slow failed") == true)

            _ = try await messages.enqueue(message: "c", agentConfig: .init(name: "assistant"), callbackURL: receiver.url("/down"))
            try await waitUntil("the /down callback to be dead") { (try? await messages.queue.deadJobs(limit: 10).count) == 2 }
            let down = try await messages.queue.deadJobs(limit: 10)[1]
            #expect(down.lastError == "HTTP 503 from http://127.0.0.1:\(receiver.port)/down")
            #expect(receiver.deliveries.filter { $0.path == "/down" }.count == 2)
        }
    }

    @Test("only http and https; a host off the allow-list or a redirect to another host is dead at once; a same-host redirect is followed")
    func refusedTargets() async throws {
        try await Self.withMessages { messages, receiver in
            for bad in ["ftp://127.0.0.1/x", "file:///etc/passwd", "not a url", "http:///nohost"] {
                await #expect(throws: StreamingError.self) {
                    try await messages.enqueue(message: "x", agentConfig: .init(name: "assistant"), callbackURL: bad)
                }
            }
            _ = try await messages.enqueue(message: "x", agentConfig: .init(name: "assistant"), callbackURL: receiver.url("/redirect-other"))
            try await waitUntil("the cross-host redirect to be dead") { (try? await messages.queue.deadJobs(limit: 10).count) == 1 }
            let dead = try await messages.queue.deadJobs(limit: 10)[0]
            #expect(dead.attempts == 1)
            #expect(dead.lastError?.contains("redirected to another host (localhost); not followed") == true)
            #expect(receiver.deliveries.map(\.path) == ["/redirect-other"])

            _ = try await messages.enqueue(message: "y", agentConfig: .init(name: "assistant"), callbackURL: receiver.url("/redirect-same"))
            try await waitUntil("the same-host redirect to be followed") { receiver.deliveries.contains { $0.path == "/ok" } }
            #expect(receiver.deliveries.last?.signatureOK == true)
        }

        let allowList = HTTPCallbackSender(configuration: .init(secret: Self.secret, allowedHosts: ["hooks.example.com"]))
        try await Self.withMessages(sender: allowList) { messages, receiver in
            _ = try await messages.enqueue(message: "x", agentConfig: .init(name: "assistant"), callbackURL: receiver.url("/ok"))
            try await waitUntil("the callback to a host not allowed to be dead") { (try? await messages.queue.deadJobs(limit: 10).count) == 1 }
            let dead = try await messages.queue.deadJobs(limit: 10)[0]
            #expect(dead.attempts == 1)
            #expect(dead.lastError?.contains("the callback host 127.0.0.1 is not allowed") == true)
            #expect(receiver.deliveries.isEmpty)
        }
    }

    @Test("without a secret there is no signature header")
    func unsigned() async throws {
        try await Self.withMessages(sender: HTTPCallbackSender()) { messages, receiver in
            _ = try await messages.enqueue(message: "x", agentConfig: .init(name: "assistant"), callbackURL: receiver.url("/ok"))
            try await waitUntil("the callback") { receiver.deliveries.count == 1 }
            #expect(receiver.deliveries[0].signatureOK == false)
        }
        // Python: hmac.new(b"k", b"{}", hashlib.sha256).hexdigest()
        #expect(HTTPCallbackSender.signature(of: Array("{}".utf8), secret: "k")
            == "sha256=add853b103fbcc936a194f9eb15e29c4ff08af6e47d5d1bca4f20218e31e4fff")
    }

    struct ModelDown: Error, CustomStringConvertible {
        var description: String { "the model is down" }
    }
}
