/// Writes compact JSON text without going through `Codable`.
///
/// The wire frames of an agent stream are written once per event on the hot path;
/// appending to one string is several times cheaper than `JSONEncoder` and keeps
/// the field order stable for readers and tests.
public struct JSONWriter: Sendable {
    /// The text written so far.
    public private(set) var output: String
    private var needsComma: [Bool] = []
    private var pendingValueAfterKey = false

    public init(capacity: Int = 128) {
        output = ""
        output.reserveCapacity(capacity)
    }

    /// Opens an object (`{`).
    public mutating func beginObject() {
        separate()
        output.append("{")
        needsComma.append(false)
    }

    /// Closes the innermost object.
    public mutating func endObject() {
        needsComma.removeLast()
        output.append("}")
    }

    /// Opens an array (`[`).
    public mutating func beginArray() {
        separate()
        output.append("[")
        needsComma.append(false)
    }

    /// Closes the innermost array.
    public mutating func endArray() {
        needsComma.removeLast()
        output.append("]")
    }

    /// Writes an object key; the next value written is its value.
    public mutating func key(_ name: String) {
        separate()
        appendQuoted(name)
        output.append(":")
        // The value that follows belongs to this key: no comma before it.
        pendingValueAfterKey = true
    }

    public mutating func string(_ value: String) {
        separate()
        appendQuoted(value)
    }

    public mutating func int(_ value: Int) {
        separate()
        output.append(String(value))
    }

    public mutating func double(_ value: Double) {
        separate()
        if value.isFinite {
            if value == value.rounded(), abs(value) < 1e15 {
                output.append(String(Int(value)))
            } else {
                output.append(String(value))
            }
        } else {
            // JSON has no NaN or infinity.
            output.append("null")
        }
    }

    public mutating func bool(_ value: Bool) {
        separate()
        output.append(value ? "true" : "false")
    }

    public mutating func null() {
        separate()
        output.append("null")
    }

    /// Writes `"name": value` for a string.
    public mutating func field(_ name: String, _ value: String) {
        key(name)
        string(value)
    }

    /// Writes `"name": value` for an integer.
    public mutating func field(_ name: String, _ value: Int) {
        key(name)
        int(value)
    }

    /// Writes `"name": value` for a Boolean.
    public mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bool(value)
    }

    /// Writes any JSON value, with object keys sorted.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .int(let number): int(number)
        case .double(let number): double(number)
        case .string(let text): string(text)
        case .array(let items):
            beginArray()
            for item in items { self.value(item) }
            endArray()
        case .object(let fields):
            beginObject()
            for name in fields.keys.sorted() {
                key(name)
                self.value(fields[name]!)
            }
            endObject()
        }
    }

    private mutating func separate() {
        if pendingValueAfterKey {
            pendingValueAfterKey = false
            return
        }
        guard !needsComma.isEmpty else { return }
        if needsComma[needsComma.count - 1] {
            output.append(",")
        } else {
            needsComma[needsComma.count - 1] = true
        }
    }

    private mutating func appendQuoted(_ text: String) {
        output.append("\"")
        // Fast path: most text needs no escaping, so copy it whole.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            output.append(text)
        } else {
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": output.append("\\\"")
                case "\\": output.append("\\\\")
                case "\n": output.append("\\n")
                case "\r": output.append("\\r")
                case "\t": output.append("\\t")
                case "\u{08}": output.append("\\b")
                case "\u{0C}": output.append("\\f")
                default:
                    if scalar.value < 0x20 {
                        let hex = String(scalar.value, radix: 16)
                        output.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                    } else {
                        output.unicodeScalars.append(scalar)
                    }
                }
            }
        }
        output.append("\"")
    }
}
