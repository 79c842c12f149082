/// The Lua scripts of ``RedisStreamLog``: each change to a stream is one atomic script, so a
/// fenced node can never slip a frame in after another node declared its stream lost.
///
/// Keys of stream `id` (all in one hash slot, `{id}`): `<ns>:st:{id}:meta` (a hash: `state`
/// running or finished, `node`, `agent`, `input`, `owner`, `last_seq`), `<ns>:st:{id}:log` (a
/// Redis Stream whose entry ids are `0-<seq>`, fields `t` type and `f` frame) and
/// `<ns>:st:{id}:lease` (the node's name, with the lease as its expiry). Meta and log expire
/// `lease + retention` after the last write while the stream runs, and `retention` after it
/// ends; the lease is removed at the end. Appends are also published, as one message per
/// batch, on the channel `<ns>:st:<id>`: `<seq> <type> <length>\n<frame>` repeated.
enum StreamLogScripts {
    /// The fence of the scripts a running stream's node calls (KEYS[1] meta, ARGV[1] node):
    /// `fenced()` returns -2 when the stream is missing, -1 when it ended or another node runs
    /// it, else `nil`.
    ///
    /// The lease key needs no check of its own: it is only ever set to the meta's `node`, by
    /// `create` (which writes both, and is the only script that writes `node`) or by a script
    /// that passed this fence, so a lease held by another node cannot outlive this check.
    static let fence = """
        local function fenced()
          local state = redis.call('HGET', KEYS[1], 'state')
          if not state then return -2 end
          if state ~= 'running' or redis.call('HGET', KEYS[1], 'node') ~= ARGV[1] then return -1 end
          return nil
        end

        """

    /// KEYS meta, lease. ARGV node, agent, input, owner, has_owner, lease_ms, expiry_ms.
    /// Returns 1, or 0 when the id is taken.
    static let create = RedisScript(
        name: "stream-create",
        source: """
            if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
            redis.call('HSET', KEYS[1], 'state', 'running', 'node', ARGV[1], 'agent', ARGV[2], 'input', ARGV[3], 'last_seq', 0)
            if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'owner', ARGV[4]) end
            redis.call('PEXPIRE', KEYS[1], ARGV[7])
            redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[6])
            return 1
            """)

    /// KEYS meta, log, lease. ARGV node, lease_ms, expiry_ms, max_frames, final (0/1),
    /// retention_ms, channel, then seq, type, frame for each frame. Returns the last seq, -1
    /// when fenced, -2 when the stream is missing.
    static let append = RedisScript(
        name: "stream-append",
        source: fence + """
            local refused = fenced()
            if refused then return refused end
            local last = tonumber(redis.call('HGET', KEYS[1], 'last_seq'))
            local pieces = {}
            for i = 8, #ARGV, 3 do
              local seq = tonumber(ARGV[i])
              if seq > last then
                redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[4], '0-' .. ARGV[i], 't', ARGV[i + 1], 'f', ARGV[i + 2])
                last = seq
                pieces[#pieces + 1] = ARGV[i] .. ' ' .. ARGV[i + 1] .. ' ' .. #ARGV[i + 2] .. '\\n' .. ARGV[i + 2]
              end
            end
            redis.call('HSET', KEYS[1], 'last_seq', last)
            if ARGV[5] == '1' then
              redis.call('HSET', KEYS[1], 'state', 'finished')
              redis.call('DEL', KEYS[3])
              redis.call('PEXPIRE', KEYS[1], ARGV[6])
              redis.call('PEXPIRE', KEYS[2], ARGV[6])
            else
              redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2])
              redis.call('PEXPIRE', KEYS[1], ARGV[3])
              redis.call('PEXPIRE', KEYS[2], ARGV[3])
            end
            if #pieces > 0 then redis.call('PUBLISH', ARGV[7], table.concat(pieces)) end
            return last
            """)

    /// KEYS meta, log, lease. ARGV node, lease_ms, expiry_ms. Returns 1, -1 when fenced, -2
    /// when missing.
    static let renew = RedisScript(
        name: "stream-renew",
        source: fence + """
            local refused = fenced()
            if refused then return refused end
            redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[2])
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            redis.call('PEXPIRE', KEYS[2], ARGV[3])
            return 1
            """)

    /// KEYS meta, log, lease. ARGV expected_last_seq, seq, type, frame, retention_ms,
    /// max_frames, channel. Returns 1 when it ended the stream, else 0.
    static let markLost = RedisScript(
        name: "stream-mark-lost",
        source: """
            if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
            if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
            if tonumber(redis.call('HGET', KEYS[1], 'last_seq')) ~= tonumber(ARGV[1]) then return 0 end
            redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[6], '0-' .. ARGV[2], 't', ARGV[3], 'f', ARGV[4])
            redis.call('HSET', KEYS[1], 'state', 'finished', 'last_seq', ARGV[2])
            redis.call('PEXPIRE', KEYS[1], ARGV[5])
            redis.call('PEXPIRE', KEYS[2], ARGV[5])
            redis.call('PUBLISH', ARGV[7], ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. #ARGV[4] .. '\\n' .. ARGV[4])
            return 1
            """)
}
