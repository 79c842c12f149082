import FoundationEssentials

/// What a model is told about a tool: its name, what it does and its JSON-schema parameters.
public struct ToolDefinition: Sendable, Hashable {
    public var name: String
    public var description: String
    public var parameters: JSONValue

    public init(name: String, description: String, parameters: JSONValue) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

/// A function an agent may call.
///
/// The handler receives the decoded arguments and returns the text the model
/// reads as the tool's result. A handler that throws does not end the run: the
/// runner hands the model a result describing the error.
public struct Tool: Sendable {
    public var definition: ToolDefinition
    /// Runs the tool on the raw JSON text of the arguments.
    public let handler: @Sendable (_ arguments: String) async throws -> String

    public var name: String { definition.name }
    public var description: String { definition.description }
    public var parameters: JSONValue { definition.parameters }

    /// A tool whose handler works on the raw JSON text of its arguments.
    public init(
        name: String,
        description: String,
        parameters: JSONValue = ["type": "object", "properties": [:]],
        rawHandler: @escaping @Sendable (_ arguments: String) async throws -> String
    ) {
        self.definition = ToolDefinition(name: name, description: description, parameters: parameters)
        self.handler = rawHandler
    }

    /// A tool whose arguments are decoded into `Arguments` and whose result is text.
    public init<Arguments: Decodable & Sendable>(
        name: String,
        description: String,
        parameters: JSONValue,
        handler: @escaping @Sendable (Arguments) async throws -> String
    ) {
        self.init(name: name, description: description, parameters: parameters) { text in
            try await handler(try Tool.decode(Arguments.self, from: text, tool: name))
        }
    }

    /// A tool whose arguments are decoded into `Arguments` and whose result is encoded as JSON.
    public init<Arguments: Decodable & Sendable, Output: Encodable & Sendable>(
        name: String,
        description: String,
        parameters: JSONValue,
        handler: @escaping @Sendable (Arguments) async throws -> Output
    ) {
        self.init(name: name, description: description, parameters: parameters) { text in
            let output = try await handler(try Tool.decode(Arguments.self, from: text, tool: name))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(output), as: UTF8.self)
        }
    }

    static func decode<Arguments: Decodable>(_ type: Arguments.Type, from text: String, tool: String) throws
        -> Arguments
    {
        let data = Data((text.isEmpty ? "{}" : text).utf8)
        do {
            return try JSONDecoder().decode(Arguments.self, from: data)
        } catch {
            throw StreamingError.invalidInput("arguments of \(tool) do not match its parameters: \(error)")
        }
    }
}
