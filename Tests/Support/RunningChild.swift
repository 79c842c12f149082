import Foundation
import Glibc
import Synchronization

/// A program a test started in the background: a worker, a server.
public final class RunningChild: Sendable {
    public let pid: Int32
    private let status: Locked<Int32?>
    private let output: PipeCollector

    /// Starts `executable`; its standard output and error are collected together.
    public init(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        output = PipeCollector()
        process.standardOutput = output.pipe
        process.standardError = output.pipe
        process.standardInput = FileHandle.nullDevice
        let status = Locked<Int32?>(nil)
        process.terminationHandler = { process in
            let code = process.terminationStatus
            status.withLock { $0 = code }
        }
        try process.run()
        pid = process.processIdentifier
        self.status = status
    }

    public var hasExited: Bool { status.value != nil }

    /// Sends `signal` (SIGKILL, SIGINT, …) if the program still runs.
    public func send(_ signal: Int32) {
        if pid > 0, !hasExited { kill(pid, signal) }
    }

    /// Waits for the program to end and returns its exit status.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        try await waitUntil(timeout: timeout, "process \(pid) to exit") { self.hasExited }
        return status.value ?? -1
    }

    /// Kills the program (SIGKILL: a child of the test process may inherit a blocked
    /// SIGTERM) and waits for it.
    public func stop() async {
        send(SIGKILL)
        _ = try? await waitForExit(timeout: .seconds(10))
    }

    /// The first complete line of output that contains `text`, as soon as it is written.
    public func line(containing text: String, timeout: Duration = .seconds(30)) async throws -> String {
        try await output.line(containing: text, timeout: timeout)
    }

    /// Everything the program wrote so far.
    public var outputSoFar: String { output.received }

    /// Everything the program wrote, once it has ended.
    public func text() async throws -> String {
        try await output.text()
    }
}
