// One agent over many inputs, a few at a time: each outcome printed as it finishes, all of
// them returned in the order of the requests, and one failing item failing alone.
// Runs on the offline model; set OPENAI_API_KEY to talk to a real one.
import RAAFStreaming

let system = try Streaming.configure()
let forecaster = DemoAgents.assistant

let cities = ["Paris", "Oslo", "Nairobi", "Quito", "Perth", "Reykjavik"]
let batch = system.batchProcessor(agent: forecaster, maxConcurrent: 3)

let outcomes = await batch.processBatch(cities.map { "What's the weather in \($0)?" }) { request, outcome in
    print("finished #\(request.index) (\(cities[request.index])): \(outcome.status)")
}
for (city, outcome) in zip(cities, outcomes) {
    print("\(city): \(outcome.result?.finalOutput ?? "no answer")")
}

// An item whose run fails is reported on that item; the rest of the batch completes.
// With one turn allowed, a question that needs a tool call cannot be answered.
let strict = BatchProcessor(
    runner: AgentRunner(provider: system.provider, maxTurns: 1),
    agent: forecaster,
    maxConcurrent: 2,
    timeout: .seconds(10)
)
let mixed = await strict.processBatch(["Hello", "What's the weather in Rome?"])
for outcome in mixed {
    switch outcome {
    case .completed(let result): print("completed: \(result.finalOutput.prefix(40))…")
    case .failed(let error): print("failed alone: \(error)")
    default: print(outcome.status)
    }
}
