import CHiredis
import Foundation
import Glibc
import Logging
import StreamingApplication
import StreamingDomain
import Synchronization

/// One Redis connection in Pub/Sub mode, on a thread of its own: it subscribes to the
/// channels a ``SubscriptionTable`` wants and hands every message to `onMessage` as soon as
/// it is read.
///
/// A connection in Pub/Sub mode only reads, apart from (un)subscribing, so it cannot share
/// hiredis's blocking request/reply calls: its thread polls the socket and a wake-up pipe,
/// writes queued commands when woken, and parses what arrives with hiredis's reader. When
/// the connection breaks (Redis restarted, the network failed, or it stayed silent past
/// ``silenceLimit`` although pinged), it connects again with a capped backoff and
/// subscribes to every wanted channel again.
final class RedisSubscriber: Sendable {
    /// A message: the Redis channel and the payload, raw.
    typealias Handler = @Sendable (_ channel: [UInt8], _ payload: [UInt8]) -> Void

    let configuration: RedisConfiguration
    private let name: String
    private let onMessage: Handler
    private let logger: Logger
    private let table = Mutex(SubscriptionTable())
    /// Read end and write end of the pipe that wakes the thread.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let stopping = Atomic<Bool>(false)
    private let isConnectedNow = Atomic<Bool>(false)
    private let disconnectCount = Atomic<Int>(0)
    /// Ended when the thread has returned.
    private let finished = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    /// Ping after this long without a byte from the server, and reconnect after
    /// ``silenceLimit``: a server that stopped (SIGSTOP, a dead host) is noticed.
    static let pingAfter: Duration = .seconds(2)
    static let silenceLimit: Duration = .seconds(5)

    /// Channels confirmed at least once since they were wanted: a later confirmation is a
    /// resubscription after a lost connection (``onResubscribed``).
    private let confirmedOnce = Mutex<Set<String>>([])
    private let onResubscribed: @Sendable (String) -> Void
    private let onPoll: @Sendable () -> Void

    /// - Parameters:
    ///   - onResubscribed: Called with a channel subscribed again after the connection was
    ///     lost: what was published meanwhile did not arrive.
    ///   - onPoll: Called on the subscriber's thread after each wait for the socket, at least
    ///     every 500 ms while connected, between messages.
    init(
        configuration: RedisConfiguration, name: String, logger: Logger,
        onResubscribed: @escaping @Sendable (String) -> Void = { _ in }, onPoll: @escaping @Sendable () -> Void = {},
        onMessage: @escaping Handler
    ) {
        self.configuration = configuration
        self.name = name
        self.logger = logger
        self.onMessage = onMessage
        self.onResubscribed = onResubscribed
        self.onPoll = onPoll
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
            _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
    }

    deinit {
        if wakeRead >= 0 { close(wakeRead) }
        if wakeWrite >= 0 { close(wakeWrite) }
    }

    /// Whether the connection is up and subscribed to what is wanted.
    var isConnected: Bool { isConnectedNow.load(ordering: .relaxed) }
    /// Times the connection was lost.
    var disconnects: Int { disconnectCount.load(ordering: .relaxed) }
    /// Channels subscribed on the server now.
    var subscriptions: Int { table.withLock { $0.activeCount } }

    /// Wants `channel`; see ``SubscriptionTable/subscribe(_:whenReady:)``.
    func subscribe(_ channel: String, whenReady: @escaping @Sendable () -> Void) -> Bool {
        let ready = table.withLock { $0.subscribe(channel, whenReady: whenReady) }
        if !ready { wake() }
        return ready
    }

    /// Wants `channel` and waits until the server confirmed it (at most 10 s).
    ///
    /// - Throws: ``StreamingError/connection(_:)`` when it was not confirmed in time.
    func subscribeAndWait(_ channel: String) async throws {
        try await awaitConfirmation(of: channel) { whenReady in subscribe(channel, whenReady: whenReady) }
    }

    /// Runs `subscribe`, which wants `channel` through ``subscribe(_:whenReady:)`` with the
    /// waiter it is given and returns what that returned, then waits until the server
    /// confirmed the channel (at most 10 s): for a caller that must want it inside a critical
    /// section of its own.
    ///
    /// - Throws: ``StreamingError/connection(_:)`` when it was not confirmed in time.
    func awaitConfirmation(of channel: String, _ subscribe: (_ whenReady: @escaping @Sendable () -> Void) -> Bool) async throws {
        let ready = OneWaySignal()
        if subscribe({ ready.set() }) { return }
        await ready.wait(atMost: .seconds(10))
        guard ready.isSet else {
            throw StreamingError.connection("Redis did not confirm the subscription to \(channel)")
        }
    }

    /// No longer wants `channel`.
    func unsubscribe(_ channel: String) {
        table.withLock { $0.unsubscribe(channel) }
        confirmedOnce.withLock { _ = $0.remove(channel) }
        wake()
    }

    /// Starts the connection's thread.
    func start() {
        let thread = Thread { [self] in
            raaf_redis_name_thread(String(decoding: name.utf8.prefix(15), as: UTF8.self))
            loop()
            let waiters = finished.withLock { state in
                state.done = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
        thread.start()
    }

    /// Stops the thread and waits until it has closed its connection.
    func stop() async {
        stopping.store(true, ordering: .relaxed)
        wake()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = finished.withLock { state -> Bool in
                if state.done { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    // MARK: The thread

    private func loop() {
        var backoff: Duration = .milliseconds(50)
        while !stopping.load(ordering: .relaxed) {
            let context: UnsafeMutablePointer<redisContext>
            do {
                context = try RedisContext.open(configuration)
            } catch {
                logger.debug("Pub/Sub connection failed", metadata: ["error": "\(error)", "retry_in": "\(backoff)"])
                pause(backoff)
                backoff = min(backoff * 2, .seconds(1))
                continue
            }
            backoff = .milliseconds(50)
            table.withLock { $0.connected() }
            let reason = serve(context)
            redisFree(context)
            table.withLock { $0.disconnected() }
            isConnectedNow.store(false, ordering: .relaxed)
            if !stopping.load(ordering: .relaxed) {
                disconnectCount.add(1, ordering: .relaxed)
                logger.warning("Pub/Sub connection to Redis lost; reconnecting", metadata: ["reason": "\(reason)"])
            }
        }
    }

    /// Waits `duration`, or less if woken (a stop).
    private func pause(_ duration: Duration) {
        var descriptor = pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, Int32(duration / .milliseconds(1)))
        drainWakeups()
    }

    private func drainWakeups() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &buffer, buffer.count) > 0 {}
    }

    /// Serves one connection until it fails or the subscriber stops; returns why it ended.
    private func serve(_ context: UnsafeMutablePointer<redisContext>) -> String {
        let clock = ContinuousClock()
        var lastHeard = clock.now
        var pinged = false
        var subscribedOnce = false
        // One array for every poll of this connection, not one per wake-up.
        var descriptors = [
            pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
        ]
        while !stopping.load(ordering: .relaxed) {
            let commands = table.withLock { $0.takeOutgoing() }
            if !commands.isEmpty {
                for command in commands {
                    let status = command.withArgv { argc, argv, lengths in redisAppendCommandArgv(context, argc, argv, lengths) }
                    guard status == REDIS_OK else { return RedisContext.errorText(context) }
                }
                guard flush(context) else { return RedisContext.errorText(context) }
            }
            if !subscribedOnce {
                // Up once the resubscription is on its way: messages flow from here.
                subscribedOnce = true
                isConnectedNow.store(true, ordering: .relaxed)
            }
            descriptors[0].revents = 0
            descriptors[1].revents = 0
            let ready = poll(&descriptors, 2, 500)
            if ready < 0 && errno != EINTR { return "poll failed: errno \(errno)" }
            if descriptors[1].revents != 0 { drainWakeups() }
            if descriptors[0].revents != 0 {
                guard redisBufferRead(context) == REDIS_OK else { return RedisContext.errorText(context) }
                lastHeard = clock.now
                pinged = false
                guard readReplies(context) else { return RedisContext.errorText(context) }
            }
            onPoll()
            let silent = clock.now - lastHeard
            if silent > Self.silenceLimit { return "no answer from Redis for \(silent)" }
            if silent > Self.pingAfter && !pinged {
                pinged = true
                table.withLock { $0.queuePing() }
            }
        }
        return "stopped"
    }

    /// Writes everything hiredis has buffered.
    private func flush(_ context: UnsafeMutablePointer<redisContext>) -> Bool {
        var done: Int32 = 0
        while done == 0 {
            guard redisBufferWrite(context, &done) == REDIS_OK else { return false }
        }
        return true
    }

    /// Handles every complete reply read so far.
    private func readReplies(_ context: UnsafeMutablePointer<redisContext>) -> Bool {
        while true {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReplyFromReader(context, &raw) == REDIS_OK else { return false }
            guard let raw else { return true }
            handle(raw.assumingMemoryBound(to: redisReply.self))
            freeReplyObject(raw)
        }
    }

    private func handle(_ reply: UnsafePointer<redisReply>) {
        let value = reply.pointee
        guard value.type == REDIS_REPLY_ARRAY, value.elements >= 2, let kindReply = value.element[0] else { return }
        if Self.is(kindReply, Self.message), value.elements == 3, let channel = value.element[1], let payload = value.element[2] {
            onMessage(Self.bytes(channel), Self.bytes(payload))
        } else if Self.is(kindReply, Self.subscribeKind), let channel = value.element[1] {
            let name = String(decoding: Self.bytes(channel), as: UTF8.self)
            let released = table.withLock { $0.confirmedSubscribe(name) }
            for waiter in released { waiter() }
            if !confirmedOnce.withLock({ $0.insert(name).inserted }) { onResubscribed(name) }
        }
        // `unsubscribe` confirmations and `pong`s need nothing more: reading them was enough.
    }

    private static let message = Array("message".utf8)
    private static let subscribeKind = Array("subscribe".utf8)

    /// Whether `reply`'s string is `expected`, read in place (no copy for each message).
    private static func `is`(_ reply: UnsafeMutablePointer<redisReply>, _ expected: [UInt8]) -> Bool {
        let value = reply.pointee
        guard value.len == expected.count else { return false }
        guard let pointer = value.str else { return expected.isEmpty }
        return UnsafeRawBufferPointer(start: pointer, count: value.len).elementsEqual(expected)
    }

    private static func bytes(_ reply: UnsafeMutablePointer<redisReply>) -> [UInt8] {
        let value = reply.pointee
        guard let pointer = value.str, value.len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: value.len))
    }
}
