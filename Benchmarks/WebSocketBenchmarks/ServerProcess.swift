// CPU and memory of the server under test, read from /proc: per thread for the server in
// this process (its NIO event loops), per process for the reference server in Python.
import Foundation
import Glibc

/// User and system CPU time, in nanoseconds.
struct CPUTime {
    var user: Int
    var system: Int
    var total: Int { user + system }

    static func - (lhs: CPUTime, rhs: CPUTime) -> CPUTime {
        CPUTime(user: lhs.user - rhs.user, system: lhs.system - rhs.system)
    }
}

enum ProcFS {
    static let nanosecondsPerTick = 1_000_000_000 / Int(sysconf(Int32(_SC_CLK_TCK)))

    /// utime and stime (fields 14 and 15) of a /proc stat file.
    static func cpu(statPath: String) -> CPUTime? {
        guard let text = try? String(contentsOfFile: statPath, encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, so utime (14) is at index 11.
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return CPUTime(user: user * nanosecondsPerTick, system: system * nanosecondsPerTick)
    }

    /// CPU of every thread of this process whose name starts with `prefix`.
    static func threadsCPU(prefix: String) -> CPUTime {
        var total = CPUTime(user: 0, system: 0)
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        for task in tasks {
            let name = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
            guard name.hasPrefix(prefix), let cpu = cpu(statPath: "/proc/self/task/\(task)/stat") else { continue }
            total.user += cpu.user
            total.system += cpu.system
        }
        return total
    }

    /// Resident memory of a process, in bytes.
    static func residentBytes(pid: String = "self") -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return digits * 1024
        }
        return 0
    }
}

/// A child process (the Python reference server, the idle-connection client).
final class Child {
    let process = Process()
    private let output = Pipe()

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = output
        process.standardInput = Pipe()
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Reads standard output until a line starting with `prefix`; returns that line.
    func line(startingWith prefix: String) -> String? {
        var pending = Data()
        let handle = output.fileHandleForReading
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            pending.append(chunk)
            for line in String(decoding: pending, as: UTF8.self).split(separator: "\n") where line.hasPrefix(prefix) {
                return String(line)
            }
        }
    }

    /// Kills the child: SIGKILL, because children of this process inherit a blocked SIGTERM.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
