import StreamingApplication
import StreamingDomain

/// A model whose every call fails, as a provider that is down does: `StreamingError.provider`
/// with status 503 (a chat answer ends with an error of code `provider`).
public struct DownModel: ModelProvider {
    public static let message = "the model is down"

    public init() {}

    public func stream(_ request: ModelRequest) async throws -> ModelResponseStream {
        throw StreamingError.provider(status: 503, message: Self.message)
    }
}
