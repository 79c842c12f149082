import ArgumentParser

/// `raaf-streaming`: the command-line front of RAAFStreaming.
@main
struct RAAFStreamingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raaf-streaming",
        abstract: "Real-time streaming for AI agents: stream an agent's answer token by token.",
        discussion: """
            Runs on the offline model unless OPENAI_API_KEY or OPENAI_BASE_URL is set. \
            Settings come from environment variables (WEBSOCKET_PORT, STREAMING_CHUNK_SIZE, \
            RAAF_LOG_LEVEL, RAAF_LOG_FORMAT, RAAF_SIMULATION_DELAY_MS, ...); see the README.
            """,
        subcommands: [ChatCommand.self, ServeCommand.self, WorkerCommand.self, EnqueueCommand.self, JobsCommand.self]
    )
}
