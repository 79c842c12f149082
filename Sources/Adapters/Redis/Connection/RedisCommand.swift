/// One Redis command: its name and arguments as raw bytes, binary-safe.
///
/// The arguments are stored back to back in one buffer, so a command costs one allocation
/// however many arguments it has, and hiredis gets pointers into it without copying.
///
/// ```swift
/// var command = RedisCommand("HSET", "job:1")
/// command.append("payload")
/// command.append(bytes)
/// ```
public struct RedisCommand: Sendable, Hashable {
    /// Every argument's bytes, back to back, followed by one zero byte so the buffer is
    /// never empty (hiredis wants a valid pointer even for an empty argument).
    private var storage: [UInt8] = []
    /// The end offset of each argument in `storage`.
    private var ends: [Int] = []

    /// A command with `name` and text `arguments`.
    public init(_ name: String, _ arguments: String...) {
        storage.reserveCapacity(name.utf8.count + arguments.reduce(0) { $0 + $1.utf8.count } + 1)
        ends.reserveCapacity(arguments.count + 1)
        append(name)
        for argument in arguments { append(argument) }
    }

    /// A command from its parts, the name first.
    public init(arguments: [[UInt8]]) {
        storage.reserveCapacity(arguments.reduce(1) { $0 + $1.count })
        ends.reserveCapacity(arguments.count)
        for argument in arguments { append(argument) }
    }

    /// How many parts the command has, its name included.
    public var count: Int { ends.count }

    /// Adds a text argument.
    public mutating func append(_ argument: String) {
        removeTerminator()
        storage.append(contentsOf: argument.utf8)
        close()
    }

    /// Adds a byte argument.
    public mutating func append(_ argument: [UInt8]) {
        removeTerminator()
        storage.append(contentsOf: argument)
        close()
    }

    /// Adds an integer argument in decimal.
    public mutating func append(_ argument: Int) {
        append(String(argument))
    }

    /// The parts as byte arrays, the name first (for logs and tests).
    public var arguments: [[UInt8]] {
        var start = 0
        return ends.map { end in
            defer { start = end }
            return Array(storage[start..<end])
        }
    }

    private mutating func removeTerminator() {
        if !ends.isEmpty { storage.removeLast() }
    }

    private mutating func close() {
        ends.append(storage.count)
        storage.append(0)
    }

    /// Calls `body` with hiredis's argv form: the count, a pointer to each part, their lengths.
    func withArgv<Result>(
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) throws -> Result
    ) rethrows -> Result {
        let count = ends.count
        return try storage.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            return try withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: max(count, 1)) { argv in
                try withUnsafeTemporaryAllocation(of: Int.self, capacity: max(count, 1)) { lengths in
                    var start = 0
                    for (index, end) in ends.enumerated() {
                        argv[index] = base + start
                        lengths[index] = end - start
                        start = end
                    }
                    return try body(Int32(count), argv.baseAddress!, UnsafePointer(lengths.baseAddress!))
                }
            }
        }
    }
}
