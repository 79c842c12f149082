import Foundation
import RAAFStreaming

/// Prints the events of a run as they arrive.
protocol EventPrinter {
    mutating func print(_ event: StreamEvent)
    /// Ends a half-written line, so an error message starts on its own line.
    mutating func finishLine()
}

/// One JSON object per event per line, for scripts.
struct JSONEventPrinter: EventPrinter {
    mutating func print(_ event: StreamEvent) {
        Terminal.write(event.jsonText() + "\n")
    }

    mutating func finishLine() {}
}

/// Answer text as it streams; tool calls, tool results and handoffs on their own lines;
/// usage at the end.
struct TextEventPrinter: EventPrinter {
    private var atLineStart = true

    mutating func print(_ event: StreamEvent) {
        switch event.kind {
        case .content(let text):
            write(text)
        case .toolCall(let call, _):
            line("⚙ \(call.name) \(call.arguments)")
        case .toolOutput(let output):
            line((output.isError ? "✗ " : "↳ ") + output.output)
        case .handoff(let handoff):
            line("⇄ handoff: \(handoff.from) → \(handoff.to)" + (handoff.reason.map { " (\($0))" } ?? ""))
        case .complete(let result):
            finishLine()
            let usage = result.usage
            write(
                "\n[\(result.lastAgent.name) · \(result.turns) turn\(result.turns == 1 ? "" : "s") · tokens: "
                    + "prompt \(usage.promptTokens), completion \(usage.completionTokens), total \(usage.totalTokens)]\n"
            )
        }
    }

    mutating func finishLine() {
        if !atLineStart { write("\n") }
    }

    private mutating func line(_ text: String) {
        finishLine()
        write(text + "\n")
    }

    private mutating func write(_ text: String) {
        guard !text.isEmpty else { return }
        Terminal.write(text)
        atLineStart = text.hasSuffix("\n")
    }
}
