import Foundation
import Glibc

/// Ports on 127.0.0.1, for the servers tests start.
public enum Loopback {
    /// A port nobody listens on right now (the kernel picks it).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        return try bindToFreePort(fd)
    }

    /// A port held bound but never listening, for as long as this object lives: a connection
    /// to it is refused, and no other test's server can take it meanwhile (a port from
    /// ``freePort()`` can be taken by a parallel test between the check and the use).
    public final class RefusingPort: Sendable {
        public let port: Int
        private let fd: Int32

        public init() throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw POSIXError(.EMFILE) }
            do {
                port = try Loopback.bindToFreePort(fd)
            } catch {
                close(fd)
                throw error
            }
        }

        deinit { close(fd) }
    }

    /// A port whose listener never accepts and whose accept queue is full, for as long as this
    /// object lives: a new connection to it neither succeeds nor is refused (the kernel drops
    /// its SYNs), as with a model server that is unreachable.
    public final class UnacceptingPort: Sendable {
        public let port: Int
        private let descriptors: [Int32]

        public init() throws {
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard listener >= 0 else { throw POSIXError(.EMFILE) }
            var descriptors = [listener]
            do {
                port = try Loopback.bindToFreePort(listener)
                guard listen(listener, 0) == 0 else { throw POSIXError(.EADDRINUSE) }
                // Fill the accept queue (a backlog of 0 holds one) with connections never accepted.
                for _ in 0..<3 {
                    let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
                    guard filler >= 0 else { throw POSIXError(.EMFILE) }
                    descriptors.append(filler)
                    var address = Loopback.address(port: port)
                    _ = withUnsafePointer(to: &address) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                        }
                    }
                }
            } catch {
                for fd in descriptors { close(fd) }
                throw error
            }
            self.descriptors = descriptors
        }

        deinit { for fd in descriptors { close(fd) } }
    }

    static func address(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }

    private static func bindToFreePort(_ fd: Int32) throws -> Int {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts connections on `port`.
    public static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
