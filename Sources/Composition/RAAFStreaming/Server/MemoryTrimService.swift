#if canImport(Glibc)
import Glibc
#endif
import ServiceLifecycle

/// Hands memory the process has freed back to the system, every `interval`.
///
/// glibc's allocator keeps freed memory in its arenas (one per thread that allocated, up to
/// eight per core), so after a burst (many streams at once, a reconnect storm) the server's
/// resident memory stays at its peak for good, although nothing holds it: the soak run saw
/// +9 % over ten minutes that was almost all free memory glibc held (`malloc_stats`).
/// `malloc_trim(0)` returns the free pages of every arena, so resident memory follows what is
/// in use. Elsewhere than glibc it does nothing.
struct MemoryTrimService: Service {
    var interval: Duration = .seconds(30)

    func run() async throws {
        guard let trim = Self.mallocTrim else {
            try? await gracefulShutdown()
            return
        }
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            _ = trim(0)
        }
    }

    /// glibc's `malloc_trim`, which `<malloc.h>` declares and the Glibc module leaves out.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
        return nil
        #endif
    }()
}
