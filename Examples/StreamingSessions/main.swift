// Streaming sessions: a conversation that remembers what was said. Two turns streamed token
// by token, a fork, a checkpoint and a restore, and the session stored as JSON and read back.
// Runs on the offline model, at a real model's pace (RAAF_SIMULATION_DELAY_MS=0 for instant);
// set OPENAI_API_KEY to talk to a real one.
// (Top-level code: `@main` cannot live in a file named main.swift.)
import Foundation
import RAAFStreaming

/// Prints a reply as it streams: answer text token by token, tool calls and handoffs on their own lines.
func show(_ reply: SessionReply) async throws {
    say("> \(reply.message)")
    for try await event in reply {
        switch event.kind {
        case .content(let text): say(text, terminator: "")
        case .toolCall(let call, _): say("[calling \(call.name) \(call.arguments)]")
        case .toolOutput(let output): say("[\(output.toolName) → \(output.output)]")
        case .handoff(let handoff): say("[handoff \(handoff.from) → \(handoff.to)]")
        case .complete(let result): say("\n[complete: \(result.lastAgent.name), \(result.usage.totalTokens) tokens]\n")
        }
    }
}

func describe(_ name: String, _ session: StreamingSession) {
    let roles = session.history.map(\.role).joined(separator: " ")
    say("\(name): \(session.turnCount) turn(s), agent \(session.agent.name), history [\(roles)]")
}

let system = try Streaming.configure { try $0.paceForPeople() }  // a person watches: a real model's pace
let session = StreamingSession(runner: system.runner, agent: DemoAgents.assistant, historyLimit: 40)

// 1. Two turns: the second request carries the first turn, tool calls and results included.
try await show(session.send("What's the weather in Paris?"))
let afterFirstTurn = session.checkpoint()

// 2. A fork goes its own way; the original does not see its turns.
let fork = session.fork()
let forked = try await fork.respond(to: "What's the weather in Oslo and Rome?")
say("fork answered: \(forked.finalOutput.split(separator: "\n").dropFirst().joined(separator: " "))")

try await show(session.send("Please transfer me to support"))
describe("session", session)
describe("fork", fork)

// 3. Export to JSON and import: the agent is found by name, here through the assistant's handoffs.
let json = try session.exportJSON()
say("\nexported \(json.utf8.count) bytes of JSON: \(json.prefix(90))…")
let imported = try StreamingSession.restored(fromJSON: json, runner: system.runner, agents: [DemoAgents.assistant])
precondition(imported.export() == session.export(), "the imported session differs from the exported one")
try await show(imported.send("Thanks, that was quick."))
describe("imported", imported)

// 4. Back to the checkpoint: the handoff and the second turn are gone, the assistant answers again.
try session.restore(afterFirstTurn)
describe("restored", session)
precondition(session.agent.name == DemoAgents.assistant.name && session.turnCount == 1)

/// `print` without the buffer: standard output is written at once, so each token shows the
/// moment it arrives, in order with the lines around it, also when the output is a pipe.
func say(_ text: String, terminator: String = "\n") {
    FileHandle.standardOutput.write(Data((text + terminator).utf8))
}
