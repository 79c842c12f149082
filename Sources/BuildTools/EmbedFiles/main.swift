// EmbedFiles OUTPUT.swift ENUM BASE FILE...
//
// The build tool behind the EmbedChatPage plugin: writes one Swift source declaring
// `enum ENUM { static let files: [(path: String, etag: String, text: String)] }`, one entry per
// FILE in the order given: its path relative to BASE, an entity tag (FNV-1a 64 of its bytes, in
// quotes) and its text as a string literal.
//
// Text, not a `[UInt8]` literal: the page's 60 KB as an array literal cost about 8 s of debug
// compile on this machine, as an escaped string literal under half a second. The files must be
// UTF-8 (the tool fails otherwise), and a string literal's UTF-8 is exactly the file's bytes:
// every control character, backslash and quote is escaped, nothing is normalized.
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("EmbedFiles: error: \(message)\n".utf8))
    exit(1)
}

/// FNV-1a, 64 bits: a stable tag of the bytes (not a security hash; it only has to change
/// when the file does).
func fnv1a(_ bytes: Data) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01b3
    }
    return hash
}

/// `text` as the body of a Swift string literal (without the quotes).
func literal(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count + text.utf8.count / 16)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{0}"..."\u{1F}", "\u{7F}"..."\u{9F}", "\u{2028}", "\u{2029}", "\u{FEFF}":
            out += "\\u{\(String(scalar.value, radix: 16))}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

let arguments = CommandLine.arguments
guard arguments.count >= 5 else { fail("usage: EmbedFiles OUTPUT.swift ENUM BASE FILE...") }
let output = URL(fileURLWithPath: arguments[1])
let enumName = arguments[2]
let base = URL(fileURLWithPath: arguments[3]).standardizedFileURL.path + "/"

var entries: [String] = []
for file in arguments[4...] {
    let url = URL(fileURLWithPath: file).standardizedFileURL
    guard url.path.hasPrefix(base) else { fail("\(url.path) is not under \(base)") }
    let path = String(url.path.dropFirst(base.count))
    guard let bytes = FileManager.default.contents(atPath: url.path) else { fail("cannot read \(url.path)") }
    guard let text = String(data: bytes, encoding: .utf8), Data(text.utf8) == bytes else {
        fail("\(url.path) is not UTF-8 text")
    }
    let etag = "\\\"" + String(fnv1a(bytes), radix: 16) + "\\\""
    entries.append("        (\"\(literal(path))\", \"\(etag)\", \"\(literal(text))\"),")
}

let source = """
    // Generated at build time by EmbedFiles (the EmbedChatPage plugin) from \(arguments[3]).
    // Edit those files, not this one.

    enum \(enumName) {
        /// Each file: its path under the page's folder, its entity tag, its text.
        static let files: [(path: String, etag: String, text: String)] = [
    \(entries.joined(separator: "\n"))
        ]
    }

    """
do {
    try Data(source.utf8).write(to: output, options: .atomic)
} catch {
    fail("cannot write \(output.path): \(error)")
}
