extension AgentStream {
    /// Whether every frame after `seq` can still be read: it is kept, or still to come.
    ///
    /// `false` once the replay buffer (``AgentStreamOptions/maxReplayFrames``) has dropped a
    /// frame the reader needs; ``frames(after:)`` would then throw at that point. A transport
    /// asks first so it can refuse the request outright instead of failing mid-response.
    public func canReplay(after seq: Int) -> Bool {
        state.withLock { state in
            guard seq < state.lastSeq else { return true }
            guard let first = state.frames.first else { return false }
            return first.seq <= seq + 1
        }
    }
}
