// Streaming sessions: a conversation that remembers what was said. Two turns streamed token
// by token, a fork, a checkpoint and a restore, and the session stored as JSON and read back.
// Runs on the offline model; set OPENAI_API_KEY to talk to a real one.
// (Top-level code: `@main` cannot live in a file named main.swift.)
import RAAFStreaming

/// Prints a reply as it streams: answer text token by token, tool calls and handoffs on their own lines.
func show(_ reply: SessionReply) async throws {
    print("> \(reply.message)")
    for try await event in reply {
        switch event.kind {
        case .content(let text): print(text, terminator: "")
        case .toolCall(let call, _): print("[calling \(call.name) \(call.arguments)]")
        case .toolOutput(let output): print("[\(output.toolName) → \(output.output)]")
        case .handoff(let handoff): print("[handoff \(handoff.from) → \(handoff.to)]")
        case .complete(let result): print("\n[complete: \(result.lastAgent.name), \(result.usage.totalTokens) tokens]\n")
        }
    }
}

func describe(_ name: String, _ session: StreamingSession) {
    let roles = session.history.map(\.role).joined(separator: " ")
    print("\(name): \(session.turnCount) turn(s), agent \(session.agent.name), history [\(roles)]")
}

let system = try Streaming.configure()
let session = StreamingSession(runner: system.runner, agent: DemoAgents.assistant, historyLimit: 40)

// 1. Two turns: the second request carries the first turn, tool calls and results included.
try await show(session.send("What's the weather in Paris?"))
let afterFirstTurn = session.checkpoint()

// 2. A fork goes its own way; the original does not see its turns.
let fork = session.fork()
let forked = try await fork.respond(to: "What's the weather in Oslo and Rome?")
print("fork answered: \(forked.finalOutput.split(separator: "\n").dropFirst().joined(separator: " "))")

try await show(session.send("Please transfer me to support"))
describe("session", session)
describe("fork", fork)

// 3. Export to JSON and import: the agent is found by name, here through the assistant's handoffs.
let json = try session.exportJSON()
print("\nexported \(json.utf8.count) bytes of JSON: \(json.prefix(90))…")
let imported = try StreamingSession.restored(fromJSON: json, runner: system.runner, agents: [DemoAgents.assistant])
precondition(imported.export() == session.export(), "the imported session differs from the exported one")
try await show(imported.send("Thanks, that was quick."))
describe("imported", imported)

// 4. Back to the checkpoint: the handoff and the second turn are gone, the assistant answers again.
try session.restore(afterFirstTurn)
describe("restored", session)
precondition(session.agent.name == DemoAgents.assistant.name && session.turnCount == 1)
