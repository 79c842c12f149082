import Testing

/// The interop suites: a real server against independent clients, Python's `websockets` and a
/// raw RFC 6455 client (`Interop/`), skipped with the reason when Python or `websockets` is
/// missing.
///
/// Their tests run one at a time: each starts a server and Python processes, and the whole
/// test run shares two cores with suites that measure time.
@Suite("Interop with independent clients", .serialized, .needsPythonWebSockets)
enum InteropTests {}
