import NIOCore
import StreamingApplication
import StreamingTestSupport
import Testing

@testable import StreamingWebSocket

/// The WebSocket frame layer on its own: permessage-deflate negotiation and UTF-8 validation.
@Suite("Frame layer")
struct FrameLayerTests {
    // MARK: permessage-deflate negotiation (RFC 7692 section 7)

    @Test func plainOfferIsAcceptedWithoutContextTakeover() {
        let accepted = PerMessageDeflate.negotiate(offers: ["permessage-deflate; client_max_window_bits"])
        #expect(accepted?.serverMaxWindowBits == 15)
        #expect(accepted?.responseHeader == "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
    }

    @Test func smallerServerWindowIsHonoured() {
        let accepted = PerMessageDeflate.negotiate(offers: ["permessage-deflate; server_no_context_takeover; server_max_window_bits=9"])
        #expect(accepted?.serverMaxWindowBits == 9)
        #expect(accepted?.responseHeader.hasSuffix("; server_max_window_bits=9") == true)
        // A quoted value is the same value.
        #expect(PerMessageDeflate.negotiate(offers: ["permessage-deflate; server_max_window_bits=\"10\""])?.serverMaxWindowBits == 10)
    }

    @Test func offersThatMustBeDeclinedAre() {
        for offer in [
            "permessage-deflate; server_max_window_bits=8",  // zlib cannot deflate with a 256-byte window
            "permessage-deflate; server_max_window_bits",  // needs a value
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; client_max_window_bits=7",
            "permessage-deflate; client_max_window_bits=+9",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
            "permessage-deflate; unknown_parameter",
            "x-webkit-deflate-frame",
        ] {
            #expect(PerMessageDeflate.negotiate(offers: [offer]) == nil, "\(offer)")
        }
    }

    @Test func firstAcceptableOfferWins() {
        let accepted = PerMessageDeflate.negotiate(offers: [
            "permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits=12",
            "permessage-deflate",
        ])
        #expect(accepted?.serverMaxWindowBits == 12)
    }

    @Test func compressedWithASmallWindowInflates() throws {
        let codec = DeflateCodec()
        let text = Array(String(repeating: "the quick brown fox jumps over the lazy dog ", count: 200).utf8)
        let compressed = try #require(codec.compress(text, windowBits: 9))
        #expect(compressed.readableBytes < text.count / 4)
        let inflated = try codec.decompress(compressed, limit: 1 << 20)
        #expect(Array(inflated.readableBytesView) == text)
    }

    @Test func corruptDeflateDataIsTheClientsFault() {
        let codec = DeflateCodec()
        #expect(throws: DeflateError.corrupt) {
            try codec.decompress(ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0x00]), limit: 1 << 20)
        }
    }

    // MARK: UTF-8, whole and fragment by fragment

    static let samples: [[UInt8]] = [
        Array("plain ASCII, long enough for the eight-byte fast path".utf8),
        Array("Grüße, 你好, 🎉 and ASCII".utf8),
        [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5],  // κόσμε
        [0xF4, 0x8F, 0xBF, 0xBF],  // U+10FFFF
        [0xF4, 0x90, 0x80, 0x80],  // past U+10FFFF
        [0xED, 0xA0, 0x80],  // a surrogate
        [0xC0, 0xAF],  // overlong
        [0xE0, 0x80, 0xAF],  // overlong
        [0xF0, 0x80, 0x80, 0xAF],  // overlong
        [0x80],  // a lone continuation byte
        [0xCE, 0xBA, 0xE1],  // cut in a character
        [0xFE],
        [0x41, 0x42, 0xF5, 0x80, 0x80, 0x80],
    ]

    @Test(arguments: samples)
    func incrementalAgreesWithTheStandardLibraryAtEverySplit(_ bytes: [UInt8]) {
        let expected = String(validating: bytes, as: UTF8.self) != nil
        bytes.withUnsafeBytes { whole in
            #expect(UTF8Validation.isValid(whole) == expected)
            for split in 0...bytes.count {
                var validator = UTF8Validation.Incremental()
                let first = validator.feed(UnsafeRawBufferPointer(rebasing: whole[..<split]))
                let second = first && validator.feed(UnsafeRawBufferPointer(rebasing: whole[split...]))
                #expect((second && validator.isComplete) == expected, "split at \(split)")
            }
        }
    }

    /// Fail fast: the first fragment that cannot begin valid text is refused, before the end.
    @Test func invalidFragmentIsRefusedAtOnce() {
        var validator = UTF8Validation.Incremental()
        let valid: [UInt8] = Array("κόσμε".utf8)
        #expect(valid.withUnsafeBytes { validator.feed($0) })
        #expect(![0xED, 0xA0].withUnsafeBytes { validator.feed($0) })
    }
}

/// What `make fuzz` found in the frame layer's text handling (Fuzz/WebSocketText.swift), replayed.
@Suite("Frame layer fuzz regressions")
struct FrameLayerFuzzRegressionTests {
    @Test(arguments: FuzzCorpus.inputs("WebSocketText"))
    func replay(_ input: FuzzCorpus.Input) {
        input.bytes.withUnsafeBytes { bytes in
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(UTF8Validation.isValid(bytes) == expected)
            var incremental = UTF8Validation.Incremental()
            #expect((incremental.feed(bytes) && incremental.isComplete) == expected)
        }
        let header = String(decoding: input.bytes, as: UTF8.self)
        if let accepted = PerMessageDeflate.negotiate(offers: [header]) {
            #expect(PerMessageDeflate.negotiate(offers: [accepted.responseHeader]) == accepted)
        }
    }
}
