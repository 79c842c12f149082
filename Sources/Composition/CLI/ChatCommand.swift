import ArgumentParser
import Foundation
import RAAFStreaming

/// `raaf-streaming chat [PROMPT]`: streams an agent's answer to the terminal.
struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Stream an agent's answer to a prompt (read from standard input when absent).",
        discussion: """
            On the offline model the answer streams at about 33 tokens a second, as a real model's \
            does; RAAF_SIMULATION_DELAY_MS sets the pause per token in milliseconds (0: at once).
            """
    )

    @Argument(help: "The message to the agent. Read from standard input when absent.")
    var prompt: String?

    @Flag(help: "Print one JSON object per event per line (NDJSON), each with \"type\" and \"seq\".")
    var json = false

    @Option(help: "The agent to talk to: assistant or support.")
    var agent = "assistant"

    @Option(help: "The model name (overrides RAAF_MODEL).")
    var model: String?

    @Option(help: "The most model turns the run may take.")
    var maxTurns: Int?

    @Option(help: "Split the answer into pieces of at most this many characters (STREAMING_CHUNK_SIZE).")
    var chunkSize: Int?

    func run() async throws {
        try await withSystem({ config in
            // A person reads this as it streams: the offline model at a real model's pace.
            try config.paceForPeople()
            if let model { config.provider.model = model }
            if let maxTurns { config.streaming.maxTurns = maxTurns }
            if let chunkSize { config.streaming.chunkSize = chunkSize }
        }) { system in
            try await chat(with: system)
        }
    }

    private func chat(with system: StreamingSystem) async throws {
        guard let agent = system.agents[agent] else {
            let known = system.agents.keys.sorted().joined(separator: ", ")
            Terminal.error("unknown agent \"\(self.agent)\"; the agents are: \(known)")
            throw ExitCode.validationFailure
        }
        let input = (prompt ?? Terminal.readStandardInput()).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !input.isEmpty else {
            Terminal.error("no prompt: pass one as an argument or on standard input")
            throw ExitCode.validationFailure
        }

        var printer: any EventPrinter = json ? JSONEventPrinter() : TextEventPrinter()
        do {
            // The system's pipeline never holds text back, so each delta prints as it arrives.
            let events = system.runner.stream(agent, input)
            for try await event in system.pipeline().apply(to: events) { printer.print(event) }
        } catch {
            printer.finishLine()
            Terminal.error("\(error)")
            throw ExitCode.failure
        }
    }
}
