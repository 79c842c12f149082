import StreamingDomain
import Testing

/// Parses `bytes` as untrusted input arrives: raw UTF-8, not a Swift string.
private func parse(bytes: [UInt8], maxDepth: Int = 64) -> Result<JSONValue, JSONParseError> {
    bytes.withUnsafeBytes { buffer in
        do throws(JSONParseError) {
            return .success(try JSONValue(parsing: buffer, maxDepth: maxDepth))
        } catch {
            return .failure(error)
        }
    }
}

/// The error `text` is rejected with, or `nil` when it parses.
private func rejection(_ text: String, maxDepth: Int = 64) -> JSONParseError? {
    do throws(JSONParseError) {
        _ = try JSONValue(parsing: text, maxDepth: maxDepth)
        return nil
    } catch {
        return error
    }
}

private func rejection(bytes: [UInt8]) -> JSONParseError? {
    if case .failure(let error) = parse(bytes: bytes) { return error }
    return nil
}

@Suite("JSON parser")
struct JSONParserTests {
    @Test(
        "parses every kind of document",
        arguments: [
            ("null", JSONValue.null),
            ("true", .bool(true)),
            ("false", .bool(false)),
            ("0", .int(0)),
            ("-0", .int(0)),
            ("42", .int(42)),
            ("-17", .int(-17)),
            ("1.5", .double(1.5)),
            ("-1.5e3", .double(-1500)),
            ("2E-2", .double(0.02)),
            ("0e1", .double(0)),
            ("0.25", .double(0.25)),
            (#""text""#, .string("text")),
            (#""""#, .string("")),
            ("[]", .array([])),
            ("{}", .object([:])),
            ("[1,\"a\",null,true,[]]", [1, "a", nil, true, []]),
            (#"{"a":[1,2,{"b":null}],"c":{},"d":-2.5}"#, ["a": [1, 2, ["b": nil]], "c": [:], "d": -2.5]),
            (" \t\r\n[ 1 , { \"k\" : \"v\" } ]\n ", [1, ["k": "v"]]),
            (#""héllo wörld ✓ 🙂""#, .string("héllo wörld ✓ 🙂")),
        ] as [(String, JSONValue)]
    )
    func parsesDocuments(text: String, expected: JSONValue) throws {
        #expect(try JSONValue(parsing: text) == expected)
        // The byte path gives the same value as the string path.
        #expect(try parse(bytes: Array(text.utf8)).get() == expected)
    }

    @Test("keeps integers apart from floating-point numbers")
    func integersAndDoubles() throws {
        #expect(try JSONValue(parsing: "1") == .int(1))
        #expect(try JSONValue(parsing: "1.0") == .double(1))
        #expect(try JSONValue(parsing: "1e2") == .double(100))
        #expect(try JSONValue(parsing: String(Int.max)) == .int(Int.max))
        #expect(try JSONValue(parsing: String(Int.min)) == .int(Int.min))
        // One past Int.max does not fit: it is still a number, as a double.
        #expect(try JSONValue(parsing: "9223372036854775808") == .double(9_223_372_036_854_775_808))
        // A job id survives exactly.
        #expect(try JSONValue(parsing: #"{"id":9007199254740993}"#)["id"] == .int(9_007_199_254_740_993))
    }

    @Test("the last of duplicate keys wins")
    func duplicateKeys() throws {
        #expect(try JSONValue(parsing: #"{"a":1,"a":2}"#) == ["a": 2])
    }

    @Test("decodes every escape")
    func escapes() throws {
        #expect(try JSONValue(parsing: #""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
        #expect(try JSONValue(parsing: #""\u0041\u00e9\u20AC\u0000""#) == .string("Aé€\u{0}"))
        // Escapes mixed with raw multi-byte text on both sides.
        #expect(try JSONValue(parsing: #""é\n€ \"ü\"""#) == .string("é\n€ \"ü\""))
        // A key with escapes.
        #expect(try JSONValue(parsing: #"{"a\tb":1}"#) == ["a\tb": 1])
    }

    @Test("joins surrogate pairs into one scalar, in either case of hex digit")
    func surrogatePairs() throws {
        #expect(try JSONValue(parsing: #""\uD83D\uDE00""#) == .string("😀"))
        #expect(try JSONValue(parsing: #""\ud83d\ude00!""#) == .string("😀!"))
        #expect(try JSONValue(parsing: #""a\uD834\uDD1Eb""#) == .string("a𝄞b"))
    }

    @Test(
        "rejects unpaired surrogates",
        arguments: [
            #""\uD83D""#, #""\uD83Dx""#, #""\uDE00""#, #""\uD83D\u0041""#, #""\uD83D\n""#, #""\uD83D\uD83D""#,
        ]
    )
    func unpairedSurrogates(text: String) {
        #expect(rejection(text)?.reason == "unpaired surrogate")
    }

    @Test(
        "rejects anything after the value but whitespace",
        arguments: ["{} x", "1 2", "[1]]", #""a"b"#, "nulll", "truex", "{}{}", "0 0", "[] ,"]
    )
    func trailingGarbage(text: String) {
        #expect(rejection(text) != nil)
    }

    @Test("reports trailing text with its offset")
    func trailingOffset() {
        #expect(rejection("[1] x") == JSONParseError(reason: "unexpected text after the value", offset: 4))
    }

    @Test("rejects raw control characters in strings", arguments: [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F] as [UInt8])
    func controlCharacters(byte: UInt8) {
        // On the fast path (no escape before it) and on the escaped path.
        #expect(rejection(bytes: [0x22, 0x61, byte, 0x22])?.reason == "control character in string")
        #expect(rejection(bytes: [0x22, 0x5C, 0x6E, byte, 0x22])?.reason == "control character in string")
    }

    @Test("accepts DEL, which RFC 8259 does not require escaping")
    func delIsAllowed() throws {
        #expect(try parse(bytes: [0x22, 0x7F, 0x22]).get() == .string("\u{7F}"))
    }

    @Test("rejects bad escapes", arguments: [#""\x""#, #""\'""#, #""\u12""#, #""\u12G4""#, #""\U0041""#, #""\"#, #""\u"#])
    func badEscapes(text: String) {
        #expect(rejection(text) != nil)
    }

    @Test(
        "rejects invalid UTF-8 in strings",
        arguments: [
            [0x22, 0xFF, 0x22],  // never valid
            [0x22, 0xC0, 0xAF, 0x22],  // overlong "/"
            [0x22, 0xE2, 0x82, 0x22],  // truncated "€"
            [0x22, 0x80, 0x22],  // lone continuation byte
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // a surrogate encoded in UTF-8
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
            [0x22, 0x5C, 0x6E, 0xFF, 0x22],  // after an escape: the slow path checks too
        ] as [[UInt8]]
    )
    func invalidUTF8(bytes: [UInt8]) {
        #expect(rejection(bytes: bytes)?.reason == "invalid UTF-8 in string")
    }

    @Test("rejects invalid UTF-8 outside strings")
    func invalidUTF8OutsideStrings() {
        #expect(rejection(bytes: [0xFF]) != nil)
        #expect(rejection(bytes: [0x5B, 0x31, 0x2C, 0xC3, 0xA9, 0x5D]) != nil)  // [1,é]
    }

    @Test("rejects leading zeros, as RFC 8259 does", arguments: ["01", "-01", "00", "[01]", "{\"a\":007}", "01.5", "-00.5"])
    func leadingZeros(text: String) {
        #expect(rejection(text) != nil)
    }

    @Test("rejects numbers a Double cannot hold, rather than turning them into infinity", arguments: ["1e400", "-1e400", "[1E999]"])
    func rejectsOutOfRangeNumbers(text: String) {
        #expect(rejection(bytes: Array(text.utf8))?.reason == "number out of range")
    }

    @Test("accepts a single zero before a fraction or exponent")
    func singleZero() throws {
        #expect(try JSONValue(parsing: "0") == .int(0))
        #expect(try JSONValue(parsing: "-0.5") == .double(-0.5))
        #expect(try JSONValue(parsing: "[0,0]") == [0, 0])
    }

    @Test(
        "rejects malformed numbers",
        arguments: ["1.", ".5", "-", "+1", "1e", "1e+", "1.e3", "-a", "NaN", "Infinity", "-Infinity", "0x10", "1_000"]
    )
    func malformedNumbers(text: String) {
        #expect(rejection(text) != nil)
    }

    @Test(
        "rejects malformed structure and literals",
        arguments: [
            "", " ", "[1,]", #"{"a":1,}"#, "{a:1}", #"{"a" 1}"#, "[1 2]", #""abc"#, "[", "{", #"{"a":"#, "'a'",
            "tru", "nul", "True", "[,1]", #"{"a":1 "b":2}"#, "{1:2}", "]",
        ]
    )
    func malformedStructure(text: String) {
        #expect(rejection(text) != nil)
    }

    @Test("limits nesting depth instead of overflowing the stack")
    func depthLimit() throws {
        #expect(try JSONValue(parsing: "[[[1]]]", maxDepth: 3) == [[[1]]])
        #expect(rejection("[[[[1]]]]", maxDepth: 3)?.reason == "nesting deeper than 3")
        #expect(rejection(#"{"a":{"b":{"c":{}}}}"#, maxDepth: 3) != nil)
        #expect(rejection(#"[{"a":[{}]}]"#, maxDepth: 3) != nil)
        // Depth is counted along one path: closed siblings do not add up.
        #expect(try JSONValue(parsing: "[[[]],[[]],{\"a\":[]},[[]]]", maxDepth: 3) == [[[]], [[]], ["a": []], [[]]])

        let deepest = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(rejection(deepest) == nil)
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(rejection(tooDeep)?.reason == "nesting deeper than 64")
        // A hostile document a hundred thousand levels deep fails fast.
        #expect(rejection(String(repeating: "[", count: 100_000))?.reason == "nesting deeper than 64")
    }

    @Test("reads back what JSONWriter writes")
    func roundTrip() throws {
        let value: JSONValue = [
            "text": "quotes \" backslash \\ tab \t bell \u{07} emoji 🙂 é",
            "numbers": [0, -1, 2.5, 1e20, .int(Int.max), .int(Int.min)],
            "nested": ["a": [nil, true, false], "b": [:]],
        ]
        #expect(try JSONValue(parsing: value.jsonString) == value)
    }
}
