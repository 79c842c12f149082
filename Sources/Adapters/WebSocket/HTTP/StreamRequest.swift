import StreamingApplication
import StreamingDomain

/// The body of `POST /v1/agents/{name}/stream`: `{"input": TEXT}`, with an optional `"id"`.
struct StreamRequest: Sendable, Equatable {
    /// The stream id the client chose; `nil` lets the server pick one.
    var id: String?
    var input: String

    /// Parses and checks the body; every problem is an `invalid_message` failure that names it.
    init(body: [UInt8]) throws(ProtocolFailure) {
        let parsed = body.withUnsafeBytes { bytes -> Result<JSONValue, JSONParseError> in
            do throws(JSONParseError) {
                return .success(try JSONValue(parsing: bytes))
            } catch {
                return .failure(error)
            }
        }
        let value: JSONValue
        switch parsed {
        case .success(let parsedValue): value = parsedValue
        case .failure(let error): throw ProtocolFailure(.invalidMessage, "the body is not JSON: \(error)")
        }
        guard case .object(let fields) = value else {
            throw ProtocolFailure(.invalidMessage, "the body must be a JSON object")
        }
        let reader = FieldReader(fields: fields)
        input = try reader.string("input")
        id = try reader.optionalString("id")
        if let id, id.isEmpty || id.utf8.count > FieldReader.maxNameLength {
            throw ProtocolFailure(.invalidMessage, "\"id\" must be 1 to \(FieldReader.maxNameLength) bytes")
        }
    }
}
