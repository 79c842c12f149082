import StreamingApplication
import StreamingDomain
import StreamingTestSupport
import Testing

/// What `make fuzz` found in the client-message decoder (Fuzz/ClientMessage.swift), replayed:
/// a message with a type, or a ProtocolFailure with a message; never a crash.
@Suite("Client message fuzz regressions")
struct ClientMessageFuzzRegressionTests {
    @Test(arguments: FuzzCorpus.inputs("ClientMessage"))
    func replay(_ input: FuzzCorpus.Input) {
        guard let value = try? input.bytes.withUnsafeBytes({ try JSONValue(parsing: $0) }) else { return }
        do {
            let message = try ClientMessage(value)
            #expect(!message.type.isEmpty)
        } catch {
            #expect(!error.message.isEmpty)
        }
    }
}

extension ClientMessageFuzzRegressionTests {
    /// Found by the fuzzer: `{"type":""}` was a custom message of type "" (then unknown_type).
    @Test func emptyTypeIsInvalidMessage() throws {
        #expect(throws: ProtocolFailure.self) { try ClientMessage(JSONValue(parsing: #"{"type":"","after_seq":3}"#)) }
        let value = try JSONValue(parsing: #"{"type":""}"#)
        do {
            _ = try ClientMessage(value)
            Issue.record("an empty type was accepted")
        } catch {
            #expect(error.code == .invalidMessage)
        }
    }
}
