import Foundation
import Glibc
import StreamingRedis
import StreamingTestSupport
import Synchronization

/// A throwaway `redis-server` on a loopback port, with no persistence
/// (`--save "" --appendonly no`, unless `appendOnly`).
///
/// It runs under a small shell that reads a socket whose other end only this process
/// holds: when the test process ends, however it ends (even by a crash), the socket closes
/// and the shell SIGKILLs the server and reaps it, so no server outlives the tests.
/// ``stop(save:)`` asks first (`SHUTDOWN NOSAVE`) and then closes the socket.
///
/// The shell is started with `posix_spawn` and an empty signal mask: children of the test
/// process otherwise inherit its blocked signals (SIGTERM, and SIGCHLD, which leaves a
/// shell's `wait` asleep for ever).
public final class RedisTestServer: Sendable {
    public let port: Int
    /// The password the server requires, if any.
    public let password: String?
    /// Where it keeps its files, when given one.
    public let directory: String?
    public var url: String { "redis://\(password.map { ":\($0)@" } ?? "")127.0.0.1:\(port)" }
    /// Our end of the shell's standard input, until closed.
    private let lifeline: Mutex<Int32?>
    private let exited: Flag
    private let logPath: String

    private init(port: Int, password: String?, directory: String?, lifeline: Int32, exited: Flag, logPath: String) {
        self.port = port
        self.password = password
        self.directory = directory
        self.lifeline = Mutex(lifeline)
        self.exited = exited
        self.logPath = logPath
    }

    /// Starts a server on `port` (a free one when `nil`) and waits until it answers PING.
    /// `password` sets `requirepass`; `directory` is where `SHUTDOWN SAVE` writes (and a
    /// later start reads) `dump.rdb`; `appendOnly` turns on the append-only file there, so a
    /// server killed with SIGKILL comes back with every acknowledged write.
    public static func start(
        port: Int? = nil, password: String? = nil, directory: String? = nil, appendOnly: Bool = false
    ) async throws -> RedisTestServer {
        guard port == nil else {
            return try await start(exactly: port!, password: password, directory: directory, appendOnly: appendOnly)
        }
        // A free port can be taken by a parallel test before redis-server binds it: then
        // redis-server exits at once, and another free port is tried.
        var attempt = 1
        while true {
            do {
                return try await start(
                    exactly: try Loopback.freePort(), password: password, directory: directory, appendOnly: appendOnly)
            } catch RedisTestError.exitedAtStart(let log) {
                guard attempt < 3 else { throw RedisTestError.didNotStart(log: log) }
                attempt += 1
            }
        }
    }

    private static func start(exactly port: Int, password: String?, directory: String?, appendOnly: Bool) async throws
        -> RedisTestServer
    {
        guard let redis = ChildProcess.find("redis-server") else { throw RedisTestError.notInstalled }
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("raaf-redis-\(port)-\(UUID().uuidString.prefix(8)).log").path
        let arguments = [
            "/bin/sh", "-c", #""$0" "$@" & pid=$!; read -r _; kill -9 "$pid" 2>/dev/null; wait "$pid""#,
            redis.path, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", appendOnly ? "yes" : "no",
            "--appendfsync", "always",
            "--daemonize", "no", "--logfile", "",
        ] + (password.map { ["--requirepass", $0] } ?? []) + (directory.map { ["--dir", $0] } ?? [])
        let (pid, lifeline) = try spawn(arguments, logPath: logPath)
        let exited = Flag()
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            exited.set()
        }
        let server = RedisTestServer(port: port, password: password, directory: directory, lifeline: lifeline, exited: exited, logPath: logPath)
        let probe = RedisConnection(configuration: RedisConfiguration(
            port: port, password: password, connectTimeout: .seconds(1), commandTimeout: .seconds(1)
        ))
        do {
            try await waitUntil(timeout: .seconds(20), "redis-server to answer on port \(port)") {
                if exited.isSet { return true }
                return (try? await probe.send("PING")) == .status("PONG")
            }
            if exited.isSet {
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                await server.stop()
                throw RedisTestError.exitedAtStart(log: String(log.suffix(2_000)))
            }
        } catch let error as RedisTestError {
            throw error
        } catch {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            await probe.close()
            await server.stop()
            throw RedisTestError.didNotStart(log: "\(error); redis-server's log:\n\(log.suffix(2_000))")
        }
        await probe.close()
        return server
    }

    /// The Pub/Sub channels matching `pattern` that have subscribers, each with how many
    /// (`PUBSUB CHANNELS`, then `PUBSUB NUMSUB`).
    public func subscribers(matching pattern: String) async throws -> [String: Int] {
        let connection = RedisConnection(configuration: RedisConfiguration(port: port, password: password))
        do {
            let channels = try await connection.send("PUBSUB", "CHANNELS", pattern).array?.compactMap(\.string) ?? []
            var command = RedisCommand("PUBSUB")
            command.append("NUMSUB")
            for channel in channels { command.append(channel) }
            let counts = channels.isEmpty ? [] : try await connection.send(command).array ?? []
            await connection.close()
            var result: [String: Int] = [:]
            for index in stride(from: 0, to: counts.count - 1, by: 2) {
                if let name = counts[index].string, let count = counts[index + 1].integer { result[name] = Int(count) }
            }
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Stops the server: `SHUTDOWN NOSAVE` (or `SAVE`), then SIGKILL through the lifeline;
    /// waits for its end.
    public func stop(save: Bool = false) async {
        if !exited.isSet {
            let connection = RedisConnection(configuration: RedisConfiguration(
                port: port, password: password, connectTimeout: .seconds(1), commandTimeout: .seconds(10)
            ))
            _ = try? await connection.send("SHUTDOWN", save ? "SAVE" : "NOSAVE")
            await connection.close()
        }
        closeLifeline()
        try? await waitUntil(timeout: .seconds(10), "redis-server on port \(port) to exit") { self.exited.isSet }
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// Runs `body` with a fresh directory for servers' data files (`start(directory:)`), so
    /// a server restarted on it finds what the last one wrote; removed afterwards.
    public static func withDataDirectory<Result>(_ body: (String) async throws -> Result) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("raaf-redis-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory.path)
    }

    /// Kills the server with SIGKILL (through the lifeline), as a crash would, and waits for
    /// its end: only what it had written to its append-only file survives.
    public func kill() async {
        closeLifeline()
        try? await waitUntil(timeout: .seconds(10), "redis-server on port \(port) to exit") { self.exited.isSet }
    }

    /// Closes the lifeline and waits (briefly) for the shell to end: for the end of the
    /// test process, from `atexit`.
    public func stopAtExit() {
        closeLifeline()
        for _ in 0..<500 where !exited.isSet { usleep(10_000) }
        try? FileManager.default.removeItem(atPath: logPath)
    }

    private func closeLifeline() {
        lifeline.withLock { fd in
            if let open = fd { close(open) }
            fd = nil
        }
    }

    /// Starts `arguments` with an empty signal mask, its standard input the read end of a
    /// fresh socket pair and its output going to `logPath`. Returns the pid and our end.
    private static func spawn(_ arguments: [String], logPath: String) throws -> (pid_t, Int32) {
        // Close-on-exec from the start (SOCK_CLOEXEC), so no child started in parallel
        // inherits our end: the shell must see it close when we go.
        var ends: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw POSIXError(.EMFILE)
        }
        defer { close(ends[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of ours may live on in the server: an inherited socket of another
        // test (an HTTP connection it closes, say) would stay open as long as the server runs.
        // glibc 2.34 has posix_spawn_file_actions_addclosefrom_np, but Swift's Glibc module
        // does not show it: look it up by name.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGCHLD, SIGTERM, SIGINT, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, arguments[0], &actions, &attributes, &argv, environ)
        guard status == 0 else {
            close(ends[1])
            throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EINVAL)
        }
        return (pid, ends[1])
    }
}

public enum RedisTestError: Error {
    case notInstalled
    case didNotStart(log: String)
    /// redis-server ended before answering (its port was taken, usually).
    case exitedAtStart(log: String)
}
