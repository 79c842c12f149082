import AsyncHTTPClient
import Foundation
import NIOCore

/// One Server-Sent Event as a client sees it.
struct ServerSentEvent: Equatable, Sendable {
    var id: String?
    var event: String?
    var data: String

    /// `data` parsed as a JSON object.
    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else {
            throw EventStreamError.notAnObject(data)
        }
        return object
    }
}

enum EventStreamError: Error {
    case notAnObject(String)
    case ended
}

/// Splits a `text/event-stream` body into events, as an `EventSource` does: fields up to a
/// blank line, `data` lines joined with LF, comments skipped. It is written independently of
/// the server's encoder so the tests check the wire format, not a round trip.
struct EventStreamParser {
    private var pending: [UInt8] = []
    private var current = ServerSentEvent(id: nil, event: nil, data: "")
    private var dataLines: [String] = []

    /// Feeds bytes and returns the events they complete.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        pending.append(contentsOf: bytes)
        var events: [ServerSentEvent] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            var line = pending[..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            let text = String(decoding: line, as: UTF8.self)
            pending.removeSubrange(...newline)
            if text.isEmpty {
                if !dataLines.isEmpty || current.id != nil || current.event != nil {
                    current.data = dataLines.joined(separator: "\n")
                    events.append(current)
                }
                current = ServerSentEvent(id: nil, event: nil, data: "")
                dataLines = []
                continue
            }
            if text.hasPrefix(":") { continue }
            let (field, value) = Self.split(text)
            switch field {
            case "id": current.id = value
            case "event": current.event = value
            case "data": dataLines.append(value)
            default: break
            }
        }
        return events
    }

    private static func split(_ line: String) -> (String, String) {
        guard let colon = line.firstIndex(of: ":") else { return (line, "") }
        var value = line[line.index(after: colon)...]
        if value.first == " " { value = value.dropFirst() }
        return (String(line[..<colon]), String(value))
    }
}

/// Reads a response body's events one at a time.
struct EventReader {
    private var iterator: HTTPClientResponse.Body.AsyncIterator
    private var parser = EventStreamParser()
    private var ready: [ServerSentEvent] = []

    init(_ response: HTTPClientResponse) {
        iterator = response.body.makeAsyncIterator()
    }

    /// The next event, or `nil` when the body ends.
    mutating func next() async throws -> ServerSentEvent? {
        while ready.isEmpty {
            guard let buffer = try await iterator.next() else { return nil }
            ready = parser.feed(buffer.readableBytesView)
        }
        return ready.removeFirst()
    }

    /// Every remaining event, until the body ends.
    mutating func rest() async throws -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        while let event = try await next() { events.append(event) }
        return events
    }
}
