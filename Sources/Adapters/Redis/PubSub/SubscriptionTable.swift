/// Which channels a Pub/Sub connection must be subscribed to, which it is, and who waits for
/// a subscription to be in place: a pure state machine. The subscriber's thread writes the
/// commands it queues and feeds it the server's confirmations.
///
/// Redis answers every `SUBSCRIBE` of a channel with one confirmation, in order. Counting
/// the subscribes sent and confirmed per channel tells exactly when the latest one holds,
/// also when a channel is subscribed, unsubscribed and subscribed again in quick succession.
struct SubscriptionTable {
    typealias Waiter = @Sendable () -> Void

    /// Channels this node wants.
    private(set) var desired: Set<String> = []
    /// Subscribes sent on the current connection, per channel.
    private var sent: [String: Int] = [:]
    /// Of those, the ones the server confirmed.
    private var confirmed: [String: Int] = [:]
    /// Callers waiting for the subscribe numbered `ticket` of a channel to be confirmed.
    private var waiters: [String: [(ticket: Int, waiter: Waiter)]] = [:]
    /// Commands to write, oldest first.
    private(set) var outgoing: [RedisCommand] = []
    /// Whether a connection is open.
    private(set) var isConnected = false

    /// Whether `channel` is subscribed on the server now (its latest subscribe confirmed).
    func isActive(_ channel: String) -> Bool {
        desired.contains(channel) && isConnected && sent[channel, default: 0] == confirmed[channel, default: 0]
            && sent[channel, default: 0] > 0
    }

    /// Channels subscribed on the server now.
    var activeCount: Int { desired.filter(isActive).count }

    /// Wants `channel`; returns `true` if it is subscribed already, else queues `waiter`.
    mutating func subscribe(_ channel: String, whenReady waiter: @escaping Waiter) -> Bool {
        if isActive(channel) { return true }
        if !desired.contains(channel) {
            desired.insert(channel)
            if isConnected {
                sent[channel, default: 0] += 1
                outgoing.append(RedisCommand("SUBSCRIBE", channel))
            }
        }
        // Not connected: the subscribe sent when the connection opens is number 1.
        waiters[channel, default: []].append((isConnected ? sent[channel, default: 0] : 1, waiter))
        return false
    }

    /// No longer wants `channel`.
    mutating func unsubscribe(_ channel: String) {
        guard desired.remove(channel) != nil else { return }
        if isConnected { outgoing.append(RedisCommand("UNSUBSCRIBE", channel)) }
    }

    /// Takes the commands to write now. It moves the queue out rather than copying it, so
    /// the subscriber's loop allocates nothing when none are queued.
    mutating func takeOutgoing() -> [RedisCommand] {
        var taken: [RedisCommand] = []
        swap(&taken, &outgoing)
        return taken
    }

    /// A connection opened: subscribe to every wanted channel in one command.
    mutating func connected() {
        isConnected = true
        sent = [:]
        confirmed = [:]
        outgoing.removeAll()
        guard !desired.isEmpty else { return }
        var command = RedisCommand("SUBSCRIBE")
        for channel in desired.sorted() {
            command.append(channel)
            sent[channel] = 1
        }
        outgoing.append(command)
        for channel in waiters.keys { waiters[channel] = waiters[channel]!.map { (1, $0.waiter) } }
    }

    /// The connection was lost: nothing is subscribed until the next one opens.
    mutating func disconnected() {
        isConnected = false
        sent = [:]
        confirmed = [:]
        outgoing.removeAll()
    }

    /// The server confirmed a subscribe of `channel`: returns the waiters it releases.
    mutating func confirmedSubscribe(_ channel: String) -> [Waiter] {
        confirmed[channel, default: 0] += 1
        let done = confirmed[channel]!
        guard var queue = waiters[channel] else { return [] }
        let released = queue.filter { $0.ticket <= done }.map(\.waiter)
        queue.removeAll { $0.ticket <= done }
        waiters[channel] = queue.isEmpty ? nil : queue
        return released
    }
}

extension SubscriptionTable {
    /// Queues a `PING`, which a connection in Pub/Sub mode answers too: a silent server is
    /// then told apart from a quiet one.
    mutating func queuePing() {
        if isConnected { outgoing.append(RedisCommand("PING")) }
    }
}
