/// Settings passed to the model; `nil` means the provider's own default.
public struct ModelSettings: Sendable, Hashable, Codable {
    public var temperature: Double?
    public var maxTokens: Int?
    public var topP: Double?

    public init(temperature: Double? = nil, maxTokens: Int? = nil, topP: Double? = nil) {
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.topP = topP
    }
}

/// The description of an agent: who it is, which model it uses, its tools and
/// the agents it may hand the conversation to.
public struct Agent: Sendable {
    public var name: String
    public var instructions: String
    /// The model name; `nil` uses the configured default.
    public var model: String?
    public var tools: [Tool]
    /// Agents this one may transfer the conversation to, with a `transfer_to_<name>` tool call.
    public var handoffs: [Agent]
    /// What other agents are told about this one when it is a handoff target.
    public var handoffDescription: String?
    public var settings: ModelSettings

    public init(
        name: String,
        instructions: String = "",
        model: String? = nil,
        tools: [Tool] = [],
        handoffs: [Agent] = [],
        handoffDescription: String? = nil,
        settings: ModelSettings = ModelSettings()
    ) {
        self.name = name
        self.instructions = instructions
        self.model = model
        self.tools = tools
        self.handoffs = handoffs
        self.handoffDescription = handoffDescription
        self.settings = settings
    }

    /// The tool name a model calls to hand the conversation to this agent: `transfer_to_<name>`,
    /// lower-cased, with every character other than a letter, digit or `_` written as `_`.
    public var handoffToolName: String {
        var normalized = ""
        for scalar in name.lowercased().unicodeScalars {
            let isWordCharacter =
                ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_"
            normalized.unicodeScalars.append(isWordCharacter ? scalar : "_")
        }
        return "transfer_to_" + normalized
    }

    /// The tool definitions the model sees: the agent's tools, then one per handoff.
    public var toolDefinitions: [ToolDefinition] {
        tools.map(\.definition)
            + handoffs.map { target in
                ToolDefinition(
                    name: target.handoffToolName,
                    description: "Hand the conversation to the \(target.name) agent."
                        + (target.handoffDescription.map { " " + $0 } ?? ""),
                    parameters: [
                        "type": "object",
                        "properties": ["reason": ["type": "string", "description": "Why the transfer is needed."]],
                    ]
                )
            }
    }

    /// The tool named `name`, if the agent has one.
    public func tool(named name: String) -> Tool? {
        tools.first { $0.name == name }
    }

    /// The handoff target whose transfer tool is `toolName`, if any.
    public func handoffTarget(forTool toolName: String) -> Agent? {
        handoffs.first { $0.handoffToolName == toolName }
    }
}

extension Agent: Equatable {
    /// Two agents are equal when they describe the same agent: same name, instructions,
    /// model, settings, tool names and handoff targets. Tool handlers are closures and
    /// cannot be compared.
    public static func == (lhs: Agent, rhs: Agent) -> Bool {
        lhs.name == rhs.name && lhs.instructions == rhs.instructions && lhs.model == rhs.model
            && lhs.settings == rhs.settings && lhs.tools.map(\.definition) == rhs.tools.map(\.definition)
            && lhs.handoffs == rhs.handoffs
    }
}
