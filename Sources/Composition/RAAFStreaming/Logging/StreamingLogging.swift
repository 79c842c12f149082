import Logging
import Synchronization

/// Sets up swift-log for the framework from ``LoggingSettings``: the level, the line format
/// (``TextLogHandler`` or ``JSONLogHandler``) and the secrets to mask.
///
/// ```swift
/// StreamingLogging.bootstrap(config.logging, redactor: SecretRedactor(configuration: config))
/// let logger = Logger(label: LogLabel.events)
/// ```
public enum StreamingLogging {
    /// Makes the handler `settings` asks for, for one logger `label`.
    public static func makeHandler(
        label: String,
        settings: LoggingSettings,
        redactor: SecretRedactor,
        metadataProvider: Logger.MetadataProvider? = nil,
        sink: @escaping LogSink = standardError
    ) -> any LogHandler {
        switch settings.format {
        case .text:
            TextLogHandler(
                label: label,
                logLevel: settings.level,
                metadataProvider: metadataProvider,
                redactor: redactor,
                sink: sink
            )
        case .json:
            JSONLogHandler(
                label: label,
                logLevel: settings.level,
                metadataProvider: metadataProvider,
                redactor: redactor,
                sink: sink
            )
        }
    }

    /// A handler factory, as `LoggingSystem.bootstrap` and `Logger(label:factory:)` take, that
    /// makes the handler `settings` asks for, writing to `sink`.
    public static func makeHandlerFactory(
        _ settings: LoggingSettings,
        redactor: SecretRedactor,
        sink: @escaping LogSink = standardError
    ) -> @Sendable (String) -> any LogHandler {
        { label in makeHandler(label: label, settings: settings, redactor: redactor, sink: sink) }
    }

    /// Installs the framework's handlers as the process's swift-log backend.
    ///
    /// swift-log allows one bootstrap per process, so only the first call here installs
    /// anything; later calls are ignored and return `false`. It cannot see a bootstrap done
    /// elsewhere: an application that bootstraps swift-log itself should not call this.
    ///
    /// - Returns: Whether this call installed the handlers.
    @discardableResult
    public static func bootstrap(
        _ settings: LoggingSettings,
        redactor: SecretRedactor,
        metadataProvider: Logger.MetadataProvider? = nil,
        sink: @escaping LogSink = standardError
    ) -> Bool {
        guard bootstrapGate.claim() else { return false }
        LoggingSystem.bootstrap(
            { label, provider in
                makeHandler(
                    label: label, settings: settings, redactor: redactor, metadataProvider: provider, sink: sink)
            },
            metadataProvider: metadataProvider
        )
        return true
    }

    /// Installs handlers for `configuration`: its logging settings, and a redactor for its
    /// API key and URL passwords. Like ``bootstrap(_:redactor:metadataProvider:sink:)``, only
    /// the first call in a process does anything.
    @discardableResult
    public static func bootstrap(configuration: StreamingConfiguration) -> Bool {
        bootstrap(configuration.logging, redactor: SecretRedactor(configuration: configuration))
    }

    static let bootstrapGate = OnceGate()
}

/// Lets exactly one caller through, however many call and from whichever threads.
final class OnceGate: Sendable {
    private let passed = Atomic<Bool>(false)

    /// `true` for the first call only.
    func claim() -> Bool {
        passed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }
}
