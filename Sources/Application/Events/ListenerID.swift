/// Identifies one listener registered on an ``EventBus``.
///
/// Identifiers increase in registration order, so sorting listeners by id gives the order
/// in which the bus delivers to them. Pass an id to ``EventBus/off(_:)`` to remove the listener.
public struct ListenerID: Hashable, Sendable, Comparable {
    /// The position of the registration on its bus, starting at 1.
    public let rawValue: UInt64

    /// Wraps a raw registration number; buses hand these out, callers rarely need to.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Orders identifiers by registration: the earlier listener is the smaller.
    public static func < (lhs: ListenerID, rhs: ListenerID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

extension ListenerID: CustomStringConvertible {
    /// `listener#<n>`, as log lines show it.
    public var description: String { "listener#\(rawValue)" }
}
