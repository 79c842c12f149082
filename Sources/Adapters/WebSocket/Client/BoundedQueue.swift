/// A first-in, first-out queue that refuses to grow past its capacity.
///
/// The client's outbox: messages wait here while the connection is down (or the writer is
/// behind), and one more than `capacity` is refused with
/// ``StreamingDomain/StreamingError/queueFull(capacity:)`` instead of growing without bound.
struct BoundedQueue<Element: Sendable>: Sendable {
    let capacity: Int
    private var storage: [Element] = []
    private var head = 0

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    var count: Int { storage.count - head }
    var isEmpty: Bool { count == 0 }
    var isFull: Bool { count >= capacity }

    /// Appends `element`, or returns `false` when the queue is full.
    mutating func append(_ element: Element) -> Bool {
        guard !isFull else { return false }
        storage.append(element)
        return true
    }

    /// Appends `element` even past the capacity (for messages the client itself must send).
    mutating func forceAppend(_ element: Element) {
        storage.append(element)
    }

    /// Removes and returns the oldest element.
    mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        head += 1
        // Compact once the consumed prefix dominates, so memory follows the live count.
        if head >= 64, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Puts `element` back at the front (a message whose write failed).
    mutating func pushFront(_ element: Element) {
        if head > 0 {
            head -= 1
            storage[head] = element
        } else {
            storage.insert(element, at: 0)
        }
    }

    /// Removes the elements for which `drop` is true, keeping the others in order.
    mutating func removeAll(where drop: (Element) -> Bool) {
        storage = storage[head...].filter { !drop($0) }
        head = 0
    }

    /// The elements, oldest first.
    var elements: ArraySlice<Element> { storage[head...] }
}
