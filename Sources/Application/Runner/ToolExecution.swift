#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StreamingDomain
import Tracing

/// Runs the tool calls of one turn concurrently and returns their outputs in call order.
///
/// A tool that throws, an unknown tool name and unreadable arguments each give an
/// output marked as an error; the model reads it and the run goes on. Cancellation of
/// the calling task reaches every running tool through the task group.
enum ToolExecution {
    static func run(
        _ calls: [ToolCall], agent: Agent, trace: (tracer: any Tracer, parent: ServiceContext)? = nil
    ) async -> [ToolOutput] {
        if calls.count == 1 {
            return [await traced(calls[0], agent: agent, trace: trace) { await run(calls[0], agent: agent) }]
        }
        return await withTaskGroup(of: (Int, ToolOutput).self) { group in
            for (position, call) in calls.enumerated() {
                group.addTask { (position, await traced(call, agent: agent, trace: trace) { await run(call, agent: agent) }) }
            }
            var outputs = [ToolOutput?](repeating: nil, count: calls.count)
            for await (position, output) in group {
                outputs[position] = output
            }
            return outputs.map { $0! }
        }
    }

    static func run(_ call: ToolCall, agent: Agent) async -> ToolOutput {
        guard let tool = agent.tool(named: call.name) else {
            return ToolOutput(
                callID: call.id,
                toolName: call.name,
                output: "Error: \(agent.name) has no tool named \(call.name).",
                isError: true,
                agent: agent.name
            )
        }
        do {
            let output = try await tool.handler(call.arguments)
            return ToolOutput(callID: call.id, toolName: call.name, output: output, agent: agent.name)
        } catch {
            return ToolOutput(
                callID: call.id,
                toolName: call.name,
                output: "Error: \(call.name) failed: \(error)",
                isError: true,
                agent: agent.name
            )
        }
    }

    /// The `reason` argument of a handoff call, when the model gave one.
    static func handoffReason(_ call: ToolCall) -> String? {
        guard let data = call.arguments.data(using: .utf8),
            let arguments = try? JSONDecoder().decode(JSONValue.self, from: data)
        else { return nil }
        return arguments["reason"]?.stringValue
    }
}
