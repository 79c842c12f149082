extension ConnectionHub {
    /// Delivers what other nodes publish to this node's connections, until the calling task
    /// is cancelled. ``run()`` runs it when the hub has a broadcaster.
    func relay(from broadcaster: any Broadcaster) async {
        // Everyone's broadcasts reach every node, whichever channels it serves.
        _ = broadcaster.subscribe(.everyone, whenReady: {})
        for await message in broadcaster.messages where message.origin != broadcaster.nodeID {
            switch message.topic {
            case .channel(let name): _ = deliver(message.frame, to: subscribers(of: name))
            case .everyone: _ = deliver(message.frame, to: connections)
            }
        }
    }
}
