import Foundation
import Synchronization

/// Runs programs for tests: to completion with their output collected, or in the
/// background as a server that the test stops.
public enum ChildProcess {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// When each read of standard output returned, and how many bytes it brought: a child
        /// that streams shows many reads spread over time, one that prints at the end a few.
        public var stdoutReads: [PipeCollector.Read]

        public init(status: Int32, stdout: String, stderr: String, stdoutReads: [PipeCollector.Read] = []) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
            self.stdoutReads = stdoutReads
        }
    }

    /// Runs `executable` to its end, feeding `input` on standard input.
    public static func run(
        _ executable: URL,
        _ arguments: [String],
        input: String = "",
        environment: [String: String]
    ) async throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        let stdout = PipeCollector()
        let stderr = PipeCollector()
        let stdin = Pipe()
        process.standardOutput = stdout.pipe
        process.standardError = stderr.pipe
        process.standardInput = stdin
        let status = try await launchAndWait(process) {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        return Output(
            status: status, stdout: try await stdout.text(), stderr: try await stderr.text(), stdoutReads: stdout.reads)
    }

    /// Starts `process` and waits for its end through the termination handler:
    /// `waitUntilExit` can spin forever on Linux when called from a concurrency thread.
    static func launchAndWait(_ process: Process, afterLaunch: () -> Void = {}) async throws -> Int32 {
        try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
                return
            }
            afterLaunch()
        }
    }

    /// An executable of this package, built next to the test bundle.
    public static func built(_ name: String) throws -> URL {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        throw NotBuilt(name: name)
    }

    public struct NotBuilt: Error, CustomStringConvertible {
        public var name: String
        public var description: String { "\(name) is not built: run swift build first" }
    }

    /// The full path of `name` on `PATH`, if it is there.
    public static func find(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}

/// Reads a pipe to its end on a thread of its own, so a chatty child never blocks on a
/// full pipe and no cooperative thread blocks on a read. What arrived so far can be read
/// before the end, for servers that announce themselves with a line.
public final class PipeCollector: Sendable {
    public let pipe = Pipe()
    /// One read from the pipe: when it returned and how many bytes it brought.
    public struct Read: Sendable {
        public var at: ContinuousClock.Instant
        public var bytes: Int
    }
    private struct State {
        var received: [UInt8] = []
        var reads: [Read] = []
        var ended = false
    }
    private let state = Mutex(State())

    public init() {
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                let read = Read(at: .now, bytes: data.count)
                self.state.withLock {
                    $0.received.append(contentsOf: data)
                    $0.reads.append(read)
                }
            }
            self.state.withLock { $0.ended = true }
        }
    }

    /// The reads so far, in order.
    public var reads: [Read] { state.withLock { $0.reads } }

    /// What was written so far.
    public var received: String { state.withLock { String(decoding: $0.received, as: UTF8.self) } }

    /// Everything written, once the writer has closed the pipe.
    public func text(timeout: Duration = .seconds(30)) async throws -> String {
        try await waitUntil(timeout: timeout, "a child's output to end") { self.state.withLock { $0.ended } }
        return received
    }

    /// The first complete line that contains `text`, once it has been written.
    public func line(containing text: String, timeout: Duration = .seconds(30)) async throws -> String {
        try await waitUntil(timeout: timeout, "a line containing \"\(text)\"") { self.completeLine(containing: text) != nil }
        return completeLine(containing: text)!
    }

    private func completeLine(containing text: String) -> String? {
        let output = received
        guard let lastNewline = output.lastIndex(of: "\n") else { return nil }
        return output[..<lastNewline].split(separator: "\n").first { $0.contains(text) }.map(String.init)
    }
}
