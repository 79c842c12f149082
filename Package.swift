// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "RAAFStreaming",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "StreamingDomain", targets: ["StreamingDomain"]),
        .library(name: "StreamingApplication", targets: ["StreamingApplication"]),
        .library(name: "StreamingMemory", targets: ["StreamingMemory"]),
        .library(name: "StreamingOpenAI", targets: ["StreamingOpenAI"]),
        .library(name: "StreamingRedis", targets: ["StreamingRedis"]),
        .library(name: "StreamingCallbacks", targets: ["StreamingCallbacks"]),
        .library(name: "StreamingWebSocket", targets: ["StreamingWebSocket"]),
        .library(name: "RAAFStreaming", targets: ["RAAFStreaming"]),
        .executable(name: "raaf-streaming", targets: ["RAAFStreamingCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // Already under async-http-client; named for the model server's own CA (OPENAI_CA_FILE).
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // The real-time transport (issue 5): Hummingbird for HTTP, NIO handlers for the
        // WebSocket connection path, zlib through compress-nio for permessage-deflate.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Traces through the API package only; the application bootstraps a tracer (swift-otel, …).
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // HMAC-SHA256 of callback bodies (already in the graph through AsyncHTTPClient).
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // Pure value types: the standard library and FoundationEssentials only.
        .target(name: "StreamingDomain", path: "Sources/Domain", swiftSettings: swiftSettings),
        // Use cases and the ports they need.
        .target(
            name: "StreamingApplication",
            dependencies: [
                "StreamingDomain",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            path: "Sources/Application",
            swiftSettings: swiftSettings
        ),
        // Adapters: one target per technology, each depending on Application only.
        .target(
            name: "StreamingMemory",
            dependencies: [
                "StreamingApplication",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            path: "Sources/Adapters/Memory",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "StreamingOpenAI",
            dependencies: [
                "StreamingApplication",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Sources/Adapters/OpenAI",
            swiftSettings: swiftSettings
        ),
        // Callbacks: the POST of a job's result to its callback_url, signed with HMAC-SHA256.
        .target(
            name: "StreamingCallbacks",
            dependencies: [
                "StreamingApplication",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/Adapters/Callbacks",
            swiftSettings: swiftSettings
        ),
        // Redis: hiredis (libhiredis-dev) through a module map without pkg-config (see PITFALLS).
        .systemLibrary(name: "CHiredis", path: "Sources/CHiredis"),
        .target(
            name: "StreamingRedis",
            dependencies: [
                "StreamingApplication",
                "CHiredis",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Adapters/Redis",
            swiftSettings: swiftSettings
        ),
        // WebSocket server (NIO handlers behind Hummingbird's HTTP server), SSE routes, the client.
        .target(
            name: "StreamingWebSocket",
            dependencies: [
                "StreamingApplication",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSCompression", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Adapters/WebSocket",
            swiftSettings: swiftSettings,
            // The chat page's files (Chat/Page: .html, .css, .js) become a generated Swift source.
            plugins: ["EmbedChatPage"]
        ),
        // The build tool that embeds the chat page in StreamingWebSocket (see ChatPage's DocC):
        // a plugin of this package and the host executable it runs; no package dependency.
        .plugin(name: "EmbedChatPage", capability: .buildTool(), dependencies: ["EmbedFiles"], path: "Plugins/EmbedChatPage"),
        .executableTarget(name: "EmbedFiles", path: "Sources/BuildTools/EmbedFiles", swiftSettings: swiftSettings),
        // Composition: wires adapters from configuration and the environment.
        .target(
            name: "RAAFStreaming",
            dependencies: [
                "StreamingApplication",
                "StreamingMemory",
                "StreamingOpenAI",
                "StreamingSQLite",
                "StreamingRedis",
                "StreamingWebSocket",
                "StreamingCallbacks",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            path: "Sources/Composition/RAAFStreaming",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "RAAFStreamingCLI",
            dependencies: [
                "RAAFStreaming",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Composition/CLI",
            swiftSettings: swiftSettings
        ),

        // Examples: small executables that `make test` builds and runs on the offline model.
        .executableTarget(
            name: "BasicStreaming",
            dependencies: ["RAAFStreaming"],
            path: "Examples/BasicStreaming",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "EventDriven",
            dependencies: ["RAAFStreaming"],
            path: "Examples/EventDriven",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "RemoteModel",
            dependencies: ["RAAFStreaming"],
            path: "Examples/RemoteModel",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "AsyncAgents",
            dependencies: ["RAAFStreaming"],
            path: "Examples/AsyncAgents",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "BatchProcessing",
            dependencies: ["RAAFStreaming"],
            path: "Examples/BatchProcessing",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "StreamingSessions",
            dependencies: ["RAAFStreaming"],
            path: "Examples/StreamingSessions",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ChatRooms",
            dependencies: ["RAAFStreaming", "StreamingWebSocket"],
            path: "Examples/ChatRooms",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Cluster",
            dependencies: ["RAAFStreaming", "StreamingWebSocket", .product(name: "Logging", package: "swift-log")],
            path: "Examples/Cluster",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "RealtimeServer",
            dependencies: [
                "RAAFStreaming",
                "StreamingWebSocket",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/RealtimeServer",
            swiftSettings: swiftSettings
        ),
        // The frame layer of `serve` with an echo consumer: what `make conformance` runs Autobahn against.
        .executableTarget(
            name: "EchoServer",
            dependencies: [
                "StreamingWebSocket",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Examples/EchoServer",
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "OwnAgents",
            dependencies: ["RAAFStreaming", "StreamingWebSocket"],
            path: "Examples/OwnAgents",
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "InProcessChat",
            dependencies: ["RAAFStreaming"],
            path: "Examples/InProcessChat",
            swiftSettings: swiftSettings
        ),

        // Helpers shared by the test targets: waiting on conditions, child processes, fakellm.
        .target(
            name: "StreamingTestSupport",
            dependencies: ["StreamingApplication"],
            path: "Tests/Support",
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        // A throwaway redis-server for the tests that need one; apart, so that the Domain and
        // Application tests never link hiredis.
        .target(
            name: "StreamingRedisTestSupport",
            dependencies: ["StreamingTestSupport", "StreamingRedis"],
            path: "Tests/RedisSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "DomainTests", dependencies: ["StreamingDomain", "StreamingTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ApplicationTests",
            dependencies: [
                "StreamingApplication", "StreamingMemory", "StreamingTestSupport",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MemoryAdapterTests",
            dependencies: ["StreamingMemory", "StreamingTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OpenAIAdapterTests",
            dependencies: [
                "StreamingOpenAI",
                "RAAFStreaming",
                "StreamingTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RedisAdapterTests",
            dependencies: ["StreamingRedis", "StreamingTestSupport", "StreamingRedisTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ClusterTests",
            dependencies: [
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                "StreamingApplication",
                "StreamingMemory",
                "StreamingRedis",
                "StreamingTestSupport",
                "StreamingRedisTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RAAFStreamingTests",
            dependencies: [
                "RAAFStreaming", "StreamingTestSupport",
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WorkerTests",
            dependencies: ["RAAFStreaming", "StreamingTestSupport", "StreamingRedisTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WebSocketTests",
            dependencies: [
                "StreamingWebSocket",
                "RAAFStreaming",
                "StreamingTestSupport",
                "StreamingRedisTestSupport",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            exclude: ["Interop", "Browser"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CLITests",
            dependencies: [
                "RAAFStreaming",
                "StreamingTestSupport",
                "StreamingRedisTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

// StreamingSQLite: the durable job queue on one SQLite file (WAL), through GRDB.
package.dependencies.append(.package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"))
package.products.append(.library(name: "StreamingSQLite", targets: ["StreamingSQLite"]))
package.targets.append(contentsOf: [
    .target(
        name: "StreamingSQLite",
        dependencies: [
            "StreamingApplication",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ],
        path: "Sources/Adapters/SQLite",
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "SQLiteAdapterTests",
        dependencies: ["StreamingSQLite", "StreamingTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
        swiftSettings: swiftSettings
    ),
])

// Benchmarks build only when asked for (`make bench`), so the test build stays small.
// `RAAF_BENCHMARKS=1 swift package benchmark` runs them.
if Context.environment["RAAF_BENCHMARKS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"])
    )
    package.targets.append(
        .executableTarget(
            name: "RunnerBenchmarks",
            // The runner's own modules, not RAAFStreaming: the benchmark builds without NIO,
            // Hummingbird, GRDB and the rest, in minutes instead of most of an hour.
            dependencies: [
                "StreamingDomain",
                "StreamingApplication",
                "StreamingMemory",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/RunnerBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
    package.targets.append(
        .executableTarget(
            name: "JobBenchmarks",
            dependencies: [
                "RAAFStreaming",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/JobBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
    package.targets.append(
        .executableTarget(
            name: "OpenAIBenchmarks",
            dependencies: [
                "StreamingOpenAI",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/OpenAIBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
    package.targets.append(
        .executableTarget(
            name: "SQLiteBenchmarks",
            dependencies: [
                "StreamingSQLite",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/SQLiteBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
    package.targets.append(
        .executableTarget(
            name: "WebSocketBenchmarks",
            dependencies: [
                "RAAFStreaming",
                "StreamingWebSocket",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/WebSocketBenchmarks",
            exclude: ["reference_server.py", "idle_clients.py"],
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
    package.targets.append(
        .executableTarget(
            name: "RedisBenchmarks",
            dependencies: [
                "StreamingRedis",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/RedisBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
    package.targets.append(
        .executableTarget(
            name: "ClusterBenchmarks",
            dependencies: [
                "StreamingApplication",
                "StreamingMemory",
                "StreamingRedis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ClusterBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
}
