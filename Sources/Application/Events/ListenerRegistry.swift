import StreamingDomain

/// The listeners of one bus, arranged so that finding the ones for a topic is cheap:
/// exact topics in a dictionary, wildcard patterns in a separate short list that is
/// skipped entirely when empty.
///
/// Not thread-safe by itself: ``EventBus`` keeps it inside its `Mutex`.
struct ListenerRegistry {
    /// Where a listener lives, so `remove` finds it without scanning everything.
    private enum Location {
        case exact(String)
        case wildcard(String)
    }

    /// Listeners of exact topics, each array in registration (id) order.
    private var exact: [String: [Listener]] = [:]
    /// Listeners of wildcard patterns, in registration (id) order.
    private var wildcards: [WildcardListener] = []
    private var locations: [ListenerID: Location] = [:]
    /// Listeners per topic pattern, for the limit and the `topics` statistic.
    private var patternCounts: [String: Int] = [:]
    /// How many `once` listeners exist; while zero, delivery skips looking for them.
    private var onceCount = 0
    private var lastID: UInt64 = 0

    private let wildcardsEnabled: Bool
    private let maxListeners: Int

    init(options: EventBusOptions) {
        wildcardsEnabled = options.enableWildcards
        maxListeners = options.maxListeners
    }

    /// Listeners registered now.
    var count: Int { locations.count }
    /// Distinct topic patterns with listeners now.
    var patternCount: Int { patternCounts.count }

    /// A fresh id, later than every id handed out before.
    mutating func makeID() -> ListenerID {
        lastID += 1
        return ListenerID(rawValue: lastID)
    }

    /// Registers a listener on `topic`. `makeHandler` receives the new listener's id before
    /// it is stored, so a handler can refer to itself (views' `once` removes itself by id);
    /// it runs under the bus's lock and must only build the closure.
    mutating func add(
        _ topic: String,
        once: Bool,
        makeHandler: (ListenerID) -> EventHandler
    ) throws(StreamingError) -> ListenerID {
        let existing = patternCounts[topic, default: 0]
        if maxListeners > 0, existing >= maxListeners {
            throw .listenerLimitExceeded(topic: topic, limit: maxListeners)
        }
        let id = makeID()
        let listener = Listener(id: id, isOnce: once, handler: makeHandler(id))
        if wildcardsEnabled, TopicPattern.isPattern(topic) {
            wildcards.append(WildcardListener(listener, pattern: TopicPattern(topic)))
            locations[id] = .wildcard(topic)
        } else {
            exact[topic, default: []].append(listener)
            locations[id] = .exact(topic)
        }
        patternCounts[topic] = existing + 1
        if once { onceCount += 1 }
        return id
    }

    /// Removes the listener `id`; `false` when it is not registered (any more).
    @discardableResult
    mutating func remove(_ id: ListenerID) -> Bool {
        guard let location = locations.removeValue(forKey: id) else { return false }
        let topic: String
        let removed: Listener?
        switch location {
        case .exact(let key):
            topic = key
            removed = removeExact(id, topic: key)
        case .wildcard(let key):
            topic = key
            removed = wildcards.firstIndex { $0.listener.id == id }.map { wildcards.remove(at: $0).listener }
        }
        if removed?.isOnce == true { onceCount -= 1 }
        let remaining = patternCounts[topic, default: 1] - 1
        patternCounts[topic] = remaining > 0 ? remaining : nil
        return true
    }

    private mutating func removeExact(_ id: ListenerID, topic: String) -> Listener? {
        guard var list = exact.removeValue(forKey: topic) else { return nil }
        // Taking the array out of the dictionary keeps it uniquely referenced, so removing
        // in place does not copy it (unless an emit in flight still holds it).
        let removed = list.firstIndex { $0.id == id }.map { list.remove(at: $0) }
        if !list.isEmpty { exact[topic] = list }
        return removed
    }

    /// The listeners for an event on `topic`, in registration order, with every `once`
    /// listener among them removed so that no other emit can deliver to it again.
    ///
    /// With only exact listeners, or one wildcard match and no exact ones, this returns an
    /// array the registry already holds: no allocation on the common path.
    mutating func take(for topic: String) -> [Listener] {
        var selected = exact[topic] ?? []
        if !wildcards.isEmpty {
            selected = Self.merge(selected, matchingWildcards(topic))
        }
        if onceCount > 0 {
            for listener in selected where listener.isOnce {
                remove(listener.id)
            }
        }
        return selected
    }

    /// Whether any listener would receive an event on `topic`.
    func hasListeners(for topic: String) -> Bool {
        if exact[topic] != nil { return true }
        if wildcards.isEmpty { return false }
        return TopicPattern.withUTF8(of: topic) { bytes in
            wildcards.contains { $0.pattern.matches(utf8: bytes) }
        }
    }

    private func matchingWildcards(_ topic: String) -> [Listener] {
        TopicPattern.withUTF8(of: topic) { bytes in
            var found: [Listener] = []
            for wildcard in wildcards where wildcard.pattern.matches(utf8: bytes) {
                if found.isEmpty {
                    found = wildcard.alone
                } else {
                    // Copies `alone` on first append (copy-on-write); the stored one is untouched.
                    found.append(wildcard.listener)
                }
            }
            return found
        }
    }

    /// Merges two id-ordered lists into one, keeping the global registration order.
    private static func merge(_ first: [Listener], _ second: [Listener]) -> [Listener] {
        if second.isEmpty { return first }
        if first.isEmpty { return second }
        var merged: [Listener] = []
        merged.reserveCapacity(first.count + second.count)
        var i = 0
        var j = 0
        while i < first.count, j < second.count {
            if first[i].id < second[j].id {
                merged.append(first[i])
                i += 1
            } else {
                merged.append(second[j])
                j += 1
            }
        }
        merged.append(contentsOf: first[i...])
        merged.append(contentsOf: second[j...])
        return merged
    }
}
