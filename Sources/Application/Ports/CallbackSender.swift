/// The port that delivers a job's result to a `callback_url`: an HTTP POST of a JSON body.
///
/// `StreamingCallbacks.HTTPCallbackSender` is the real one (timeouts, an HMAC-SHA256
/// signature, a host allow-list, no redirect to another host).
public protocol CallbackSender: Sendable {
    /// POSTs `body` (JSON) to `url`; `deliveryID` names the delivery (the same on every retry).
    ///
    /// - Throws: ``StreamingError/invalidInput(_:)`` when the URL may never be posted to (its
    ///   scheme, a host not allowed, a redirect to another host): the delivery is not retried.
    ///   Any other error (refused, timed out, a status other than 2xx) is retried.
    func post(_ body: [UInt8], to url: String, deliveryID: String) async throws

    /// Releases connections; the default does nothing.
    func shutdown() async throws
}

extension CallbackSender {
    public func shutdown() async throws {}
}
