// libFuzzer target: the Domain JSON parser, differentially against Foundation's JSONSerialization.
// Compiled with Sources/Domain into one module by scripts/fuzz/run.sh.
import Foundation

/// Same accept or reject, same values. Known, documented differences are not findings:
/// nesting past our depth limit (64), numbers outside Int and Double, and unpaired
/// surrogate escapes (ours rejects them on purpose: docs/PROTOCOL.md), and trailing commas
/// (Foundation accepts `[1,]`; RFC 8259 does not, nor do we), and a NUL byte (Foundation stops
/// reading at one and accepts `2\0garbage`; we reject what follows the value).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let ours: JSONValue?
    do { ours = try JSONValue(parsing: bytes) } catch { ours = nil }
    let theirs = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    if let ours {
        // Whatever ours accepts, it writes back as JSON that parses to the same value (the
        // writer writes an integral double as an integer: 2.0 comes back as 2).
        let written = ours.jsonString
        guard let again = try? JSONValue(parsing: written), FuzzJSON.equivalent(again, ours) else {
            fatalError("round trip changed \(ours) into \(written)")
        }
    }
    switch (ours, theirs) {
    case (let ours?, let theirs?):
        if !FuzzJSON.same(ours, theirs), !FuzzJSON.knownDifference(bytes) { fatalError("values differ: ours \(ours), Foundation \(theirs)") }
    case (nil, nil):
        break
    case (nil, _?):
        if !FuzzJSON.knownDifference(bytes) { fatalError("ours rejected what Foundation accepted") }
    case (_?, nil):
        if !FuzzJSON.knownDifference(bytes) { fatalError("ours accepted what Foundation rejected") }
    }
    return 0
}

enum FuzzJSON {
    /// Equal, with numbers compared by value.
    static func equivalent(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)): return Double(a) == b
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { equivalent($0, $1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { equivalent(value, $0) } ?? false }
        default: return lhs == rhs
        }
    }

    static func same(_ ours: JSONValue, _ theirs: Any) -> Bool {
        switch ours {
        case .null: return theirs is NSNull
        case .bool(let value): return (theirs as? NSNumber).map { $0.boolValue == value && isBool($0) } ?? false
        case .int(let value): return (theirs as? NSNumber).map { !isBool($0) && $0.doubleValue == Double(value) } ?? false
        case .double(let value):
            guard let number = theirs as? NSNumber, !isBool(number) else { return false }
            return number.doubleValue == value || (number.doubleValue - value).magnitude <= value.magnitude * 1e-15
        case .string(let value): return (theirs as? String) == value
        case .array(let values):
            guard let array = theirs as? [Any], array.count == values.count else { return false }
            return zip(values, array).allSatisfy { same($0, $1) }
        case .object(let fields):
            guard let object = theirs as? [String: Any], object.count == fields.count else { return false }
            return fields.allSatisfy { key, value in object[key].map { same(value, $0) } ?? false }
        }
    }

    static func isBool(_ number: NSNumber) -> Bool {
        // JSONSerialization's true and false are NSNumbers of a boolean type.
        let type = String(cString: number.objCType)
        return type == "c" || type == "B"
    }

    /// Inputs where the two parsers differ by design.
    static func knownDifference(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var depth = 0
        var deepest = 0
        var digits = 0
        var longestNumber = 0
        var previousBackslash = false
        var sawUEscape = false
        var trailingComma = false
        var lastSignificant: UInt8 = 0
        for byte in bytes {
            if byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}"), lastSignificant == UInt8(ascii: ",") { trailingComma = true }
            if ![0x20, 0x09, 0x0A, 0x0D].contains(byte) { lastSignificant = byte }
            switch byte {
            case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1; deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
            if byte >= 0x30 && byte <= 0x39 { digits += 1; longestNumber = max(longestNumber, digits) } else { digits = 0 }
            if previousBackslash, byte == UInt8(ascii: "u") { sawUEscape = true }
            previousBackslash = byte == UInt8(ascii: "\\") && !previousBackslash
        }
        return trailingComma || bytes.contains(0) || deepest > 64 || longestNumber >= 16 || sawUEscape
            || bytes.contains(UInt8(ascii: "e")) || bytes.contains(UInt8(ascii: "E"))
    }
}
