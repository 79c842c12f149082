import StreamingApplication

/// Settings of the event bus (`config.events` in the Ruby gem): `max_listeners` (100),
/// `enable_wildcards` (true) and `history_size` (1000). They are the bus's own options,
/// so the system hands them to its ``EventBus`` unchanged.
public typealias EventSettings = EventBusOptions
