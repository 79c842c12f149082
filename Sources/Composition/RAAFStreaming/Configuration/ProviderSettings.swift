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
    /// The most model requests running at once: HTTP/1.1 connections, or HTTP/2 streams;
    /// `OPENAI_MAX_CONNECTIONS`, setting `provider.max_connections`. Default 1,000, as many as
    /// `streaming.max_active_streams`, so that the model server, not this client, decides how
    /// many answers run at once. Lower it to what the model server runs in parallel (vLLM's
    /// `--max-num-seqs`, Ollama's `OLLAMA_NUM_PARALLEL`) to queue here instead of there.
    public var maxConnections: Int
    /// The longest a model request waits for a connection when `maxConnections` run already;
    /// past it the run fails with `server_busy`. `OPENAI_QUEUE_TIMEOUT` (seconds), setting
    /// `provider.queue_timeout`. Default 30 s.
    public var queueTimeout: Duration
    /// The longest wait for a new connection to the model server; `OPENAI_CONNECT_TIMEOUT`
    /// (seconds), setting `provider.connect_timeout`. Default 10 s.
    public var connectTimeout: Duration
    /// The most model requests sent as streams of one HTTP/2 connection before the provider
    /// opens another; `OPENAI_MAX_STREAMS_PER_CONNECTION`, setting
    /// `provider.max_streams_per_connection`. Default 100, the fewest streams RFC 9113
    /// recommends a server allow; set it to the model server's `SETTINGS_MAX_CONCURRENT_STREAMS`
    /// when that is lower. HTTP/1.1 (most local model servers) does not use it.
    public var maxStreamsPerConnection: Int
    /// A PEM file of certificate authorities to trust besides the system's, for an `https`
    /// model server whose certificate a private CA signed (a self-hosted vLLM behind TLS, say);
    /// `OPENAI_CA_FILE`, setting `provider.ca_file`. Default `nil`: the system's roots only.
    /// Over TLS the provider offers HTTP/2 and uses it where the server accepts it.
    public var caFile: String?

    /// Creates provider settings; with neither `baseURL` nor `apiKey` the offline model is used.
    public init(
        baseURL: String? = nil, apiKey: String? = nil, model: String = "gpt-4o", simulationDelay: Duration = .zero,
        maxConnections: Int = 1_000, queueTimeout: Duration = .seconds(30), connectTimeout: Duration = .seconds(10),
        maxStreamsPerConnection: Int = 100, caFile: String? = nil
    ) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.model = model
        self.simulationDelay = simulationDelay
        self.maxConnections = maxConnections
        self.queueTimeout = queueTimeout
        self.connectTimeout = connectTimeout
        self.maxStreamsPerConnection = maxStreamsPerConnection
        self.caFile = caFile
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
            + "simulationDelay: \(simulationDelay), maxConnections: \(maxConnections), "
            + "queueTimeout: \(queueTimeout), connectTimeout: \(connectTimeout), "
            + "maxStreamsPerConnection: \(maxStreamsPerConnection), "
            + "caFile: \(caFile.map { "\"\($0)\"" } ?? "nil"))"
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
                "maxConnections": maxConnections,
                "queueTimeout": queueTimeout,
                "connectTimeout": connectTimeout,
                "maxStreamsPerConnection": maxStreamsPerConnection,
                "caFile": caFile as Any,
            ],
            displayStyle: .struct
        )
    }
}
