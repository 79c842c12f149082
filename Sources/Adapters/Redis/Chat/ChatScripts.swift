/// The Lua scripts of ``RedisChatStore``: each change that touches several keys is one
/// atomic script, so no node ever sees a room half saved, half deleted, or a batch of
/// messages half appended. Keys are those of ``ChatKeys``.
///
/// Seqs are compared as Lua numbers (exact up to ``ChatKeys/maxSeq``) but always written
/// from the argument strings, never from a number Lua formatted (`%.14g` would turn a
/// large one into `1e+14`).
enum ChatScripts {
    /// KEYS rooms, roomorder, meta, log. ARGV name, room JSON, message_history.
    /// Adds the room after every other one unless it is listed, writes its settings, and
    /// trims its log to the new message_history. Returns 1.
    static let saveRoom = RedisScript(
        name: "chat-save-room",
        source: """
            if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
              redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ARGV[1])
            end
            redis.call('SET', KEYS[3], ARGV[2])
            redis.call('XTRIM', KEYS[4], 'MAXLEN', ARGV[3])
            return 1
            """)

    /// KEYS rooms, then every key of the room (meta, seq, log). ARGV name.
    /// Returns 1 when the room was listed, else 0.
    static let deleteRoom = RedisScript(
        name: "chat-delete-room",
        source: """
            local listed = redis.call('ZREM', KEYS[1], ARGV[1])
            redis.call('DEL', unpack(KEYS, 2))
            return listed
            """)

    /// KEYS rooms. ARGV the room key prefix (`ns:chat:room:{`), the meta suffix (`}:meta`).
    /// Returns name, settings JSON (nil when missing) for every room in creation order.
    static let rooms = RedisScript(
        name: "chat-rooms",
        source: """
            local names = redis.call('ZRANGE', KEYS[1], 0, -1)
            local out = {}
            for _, name in ipairs(names) do
              out[#out + 1] = name
              out[#out + 1] = redis.call('GET', ARGV[1] .. name .. ARGV[2])
            end
            return out
            """)

    /// KEYS meta, seq, log of each room of the batch, in that order, room after room.
    /// ARGV room index (1-based), seq, message JSON for each message, in order.
    ///
    /// Checks the whole batch before writing: every room exists (else `{1, room index}`)
    /// and every seq is above the last one of its room, counting the batch (else
    /// `{2, message index, last seq}`). Then adds each message as entry `0-<seq>`, sets
    /// each room's seq counter to its highest seq, and trims each log to its room's
    /// `messageHistory` (read from the settings). Returns `{0}`.
    static let append = RedisScript(
        name: "chat-append",
        source: """
            local rooms = #KEYS / 3
            local last, keep, highest = {}, {}, {}
            for r = 1, rooms do
              local meta = redis.call('GET', KEYS[3 * r - 2])
              if not meta then return {1, r} end
              local history = tonumber(cjson.decode(meta)['messageHistory']) or 0
              keep[r] = string.format('%d', math.min(math.max(history, 0), 1e15))
              last[r] = tonumber(redis.call('GET', KEYS[3 * r - 1]) or '0')
            end
            for i = 1, #ARGV, 3 do
              local r = tonumber(ARGV[i])
              local seq = tonumber(ARGV[i + 1])
              if seq <= last[r] then return {2, (i + 2) / 3, last[r]} end
              last[r] = seq
              highest[r] = ARGV[i + 1]
            end
            for i = 1, #ARGV, 3 do
              redis.call('XADD', KEYS[3 * tonumber(ARGV[i])], '0-' .. ARGV[i + 1], '\(ChatKeys.messageField)', ARGV[i + 2])
            end
            for r = 1, rooms do
              if highest[r] then
                redis.call('SET', KEYS[3 * r - 1], highest[r])
                redis.call('XTRIM', KEYS[3 * r], 'MAXLEN', keep[r])
              end
            end
            return {0}
            """)
}
