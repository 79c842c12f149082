import StreamingDomain
import StreamingTestSupport
import Testing

/// What `make fuzz` found in the JSON parser (Fuzz/JSONParser.swift), replayed: every input is
/// parsed or refused with a JSONParseError, and what is accepted is written back to JSON that
/// parses to the same value.
@Suite("JSON parser fuzz regressions")
struct JSONFuzzRegressionTests {
    @Test(arguments: FuzzCorpus.inputs("JSONParser"))
    func replay(_ input: FuzzCorpus.Input) throws {
        let value: JSONValue
        do {
            value = try input.bytes.withUnsafeBytes { try JSONValue(parsing: $0) }
        } catch {
            return  // a typed refusal
        }
        let again = try JSONValue(parsing: value.jsonString)
        #expect(equivalent(again, value), "\(value) came back as \(again)")
    }

    @Test func corpusIsThere() {
        #expect(FuzzCorpus.inputs("JSONParser").count >= 5)
    }

    /// Where the fuzzer found Foundation's JSONSerialization and ours differ, ours follows RFC 8259.
    @Test func differencesFromFoundationAreOnPurpose() throws {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: "[0,20,]") }  // no trailing comma
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: "2\u{0}\u{3}") }  // nothing after the value
        // An integer past Int is a Double, not an error and not a decimal.
        #expect(try JSONValue(parsing: "55545555555555555555555555555272777774000000000000000000000000000000000000000").doubleValue != nil)
        // An integral double is written as an integer, and comes back as one.
        #expect(JSONValue.double(2.0).jsonString == "2")
    }

    private func equivalent(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)): Double(a) == b
        case (.array(let a), .array(let b)): a.count == b.count && zip(a, b).allSatisfy { equivalent($0, $1) }
        case (.object(let a), .object(let b)):
            a.count == b.count && a.allSatisfy { key, value in b[key].map { equivalent(value, $0) } ?? false }
        default: lhs == rhs
        }
    }
}
