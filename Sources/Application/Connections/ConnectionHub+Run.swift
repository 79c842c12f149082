extension ConnectionHub {
    /// One heartbeat: closes connections silent for two intervals and pings the others.
    ///
    /// ``run()`` calls this every ``ConnectionHubOptions/heartbeatInterval``; tests may call
    /// it directly.
    public func heartbeat() {
        let current = generation.add(1, ordering: .relaxed).newValue
        for connection in connections {
            // Heard during generation g means: answered the ping sent at the start of g.
            // Silent since before the last two pings: gone.
            if current - connection.lastHeard.load(ordering: .relaxed) > 2 {
                connection.sink.close(code: .protocolError, reason: "heartbeat timeout")
                disconnect(connection, code: .protocolError)
            } else {
                connection.sink.ping()
            }
        }
    }

    /// Runs heartbeats and agent streams until ``shutdown()``.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.streams.run() }
            if let broadcaster {
                group.addTask { await broadcaster.run() }
                group.addTask { await self.relay(from: broadcaster) }
            }
            group.addTask {
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: self.options.heartbeatInterval)
                    } catch {
                        return
                    }
                    self.heartbeat()
                }
            }
            await stopped.wait()
            // Also reached when run() is cancelled: end everything the same way.
            shutdown()
            group.cancelAll()
        }
    }

    /// Refuses new connections, cancels every running agent stream and closes every
    /// connection with 1001 (going away); ``run()`` then returns.
    public func shutdown() {
        registry.withLock { $0.isShutDown = true }
        streams.shutdown()
        for connection in connections {
            connection.sink.close(code: .goingAway, reason: "server shutting down")
            disconnect(connection, code: .goingAway)
        }
        stopped.set()
    }
}
