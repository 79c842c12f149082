import StreamingApplication
import StreamingDomain

/// A request that waits for the server's reply.
enum RequestKind: Sendable, Hashable {
    case subscribe(String)
    case unsubscribe(String)
    case auth

    /// The `request_type` the server names in an `error` frame refusing this request.
    var requestType: String {
        switch self {
        case .subscribe: "subscribe"
        case .unsubscribe: "unsubscribe"
        case .auth: "auth"
        }
    }
}

struct PendingRequest: Sendable {
    let id: Int
    let kind: RequestKind
    /// The waiting caller, once it has attached.
    var continuation: ReplyContinuation?
    /// The reply, when it came before the caller attached.
    var result: Result<String?, StreamingError>?
}

extension ClientCore {
    /// Registers a request waiting for its reply; `nil` when no reply will come.
    mutating func begin(_ kind: RequestKind, _ effects: inout [ClientEffect]) throws(StreamingError) -> Int? {
        try checkOpen()
        switch kind {
        case .subscribe(let channel):
            // Offline, the next connection's handshake subscribes.
            if session != nil { try enqueue(.subscribe(channel), &effects) }
            if !channels.contains(channel) { channels.append(channel) }
        case .unsubscribe(let channel):
            guard session != nil else {
                // The next connection simply will not subscribe.
                channels.removeAll { $0 == channel }
                return nil
            }
            try enqueue(.unsubscribe(channel), &effects)
            channels.removeAll { $0 == channel }
        case .auth:
            if session != nil { try enqueue(.auth, &effects) }
        }
        nextRequestID += 1
        requests.append(PendingRequest(id: nextRequestID, kind: kind))
        return nextRequestID
    }

    /// Attaches the caller waiting for request `id`; returns the result when it is known already.
    mutating func attach(_ continuation: ReplyContinuation, to id: Int, isCancelled: Bool)
        -> Result<String?, StreamingError>?
    {
        guard let index = requests.firstIndex(where: { $0.id == id }) else {
            if case .closed(let error) = phase { return .failure(error) }
            return .failure(.cancelled)
        }
        if let result = requests[index].result {
            requests.remove(at: index)
            return result
        }
        if isCancelled {
            requests.remove(at: index)
            return .failure(.cancelled)
        }
        requests[index].continuation = continuation
        return nil
    }

    /// Forgets request `id` (its caller gave up); returns the caller to resume, if attached.
    mutating func detach(_ id: Int) -> ReplyContinuation? {
        guard let index = requests.firstIndex(where: { $0.id == id }) else { return nil }
        return requests.remove(at: index).continuation
    }

    /// Settles the oldest unsettled request matching `matches`; returns its kind, or `nil`
    /// when no request matches.
    @discardableResult
    mutating func settle(
        _ result: Result<String?, StreamingError>, _ effects: inout [ClientEffect],
        where matches: (RequestKind) -> Bool
    ) -> RequestKind? {
        guard let index = requests.firstIndex(where: { $0.result == nil && matches($0.kind) }) else { return nil }
        let kind = requests[index].kind
        if let continuation = requests[index].continuation {
            requests.remove(at: index)
            effects.append(.resumeRequest(continuation, result))
        } else {
            requests[index].result = result
        }
        return kind
    }
}
