/// Settings of the model provider: an OpenAI-compatible endpoint, or the scripted offline model.
///
/// Its description never shows the API key: `apiKey: [redacted]`.
public struct ProviderSettings: Sendable, Equatable {
    /// The base URL of OpenAI's own API, used when only an API key is given.
    public static let openAIBaseURL = "https://api.openai.com/v1"

    /// The base URL of an OpenAI-compatible server; `OPENAI_BASE_URL`, setting `provider.base_url`.
    /// It must start with `http://` or `https://`. Default `nil`.
    public var baseURL: String?
    /// The API key sent as a bearer token; `OPENAI_API_KEY`, setting `provider.api_key`. Default `nil`.
    /// It is never written to a description, an error or a log line.
    public var apiKey: String?
    /// The model asked for when an agent names none; `RAAF_MODEL`, setting `provider.model`.
    /// Default `"gpt-4o"`.
    public var model: String
    /// A pause before each delta of the configured model (the Ruby gem's `simulation_delay`),
    /// to watch the offline model stream at a person's pace or to try a slow model;
    /// `RAAF_SIMULATION_DELAY_MS`, setting `provider.simulation_delay`. Default zero: the
    /// library streams as fast as the model yields, so tests and benchmarks are not slowed.
    /// The commands a person watches use ``watchedSimulationDelay`` on the offline model
    /// (``StreamingConfiguration/paceForPeople(environment:)``). A provider passed to
    /// ``Streaming/configure(environment:provider:_:)`` is slowed the same way.
    public var simulationDelay: Duration

    /// Creates provider settings; with neither `baseURL` nor `apiKey` the offline model is used.
    public init(
        baseURL: String? = nil, apiKey: String? = nil, model: String = "gpt-4o", simulationDelay: Duration = .zero
    ) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.model = model
        self.simulationDelay = simulationDelay
    }

    /// Whether a remote model server is used: `true` when a base URL or an API key is set,
    /// `false` for the scripted offline model.
    public var usesRemoteModel: Bool { baseURL != nil || apiKey != nil }

    /// The base URL requests go to: ``baseURL``, or ``openAIBaseURL`` when none is set.
    public var resolvedBaseURL: String { baseURL ?? Self.openAIBaseURL }
}

extension ProviderSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The settings with the API key shown as `[redacted]` and any password in the base URL masked.
    public var description: String {
        let url = baseURL.map { "\"\(URLCredentials.masked($0))\"" } ?? "nil"
        let key = apiKey == nil ? "nil" : URLCredentials.mask
        return "ProviderSettings(baseURL: \(url), apiKey: \(key), model: \"\(model)\", "
            + "simulationDelay: \(simulationDelay))"
    }

    /// The same text as ``description``: the key is redacted here too.
    public var debugDescription: String { description }

    /// A mirror whose `apiKey` child is `[redacted]`, so `dump` does not print the key.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "baseURL": baseURL.map(URLCredentials.masked) as Any,
                "apiKey": (apiKey == nil ? nil : URLCredentials.mask) as Any,
                "model": model,
                "simulationDelay": simulationDelay,
            ],
            displayStyle: .struct
        )
    }
}
