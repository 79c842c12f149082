import Testing

@Suite struct WebSocketPlaceholder {
    @Test func builds() {}
}
