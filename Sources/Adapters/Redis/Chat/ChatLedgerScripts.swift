/// The Lua scripts of ``RedisChatLedger``: every change to a room is one atomic script, so
/// numbering, seats and the answer queue hold across nodes.
///
/// `ARGV[1]` of every script is the key prefix `<ns>:chat:`. Keys of room `NAME` (one hash
/// slot, `{NAME}`), besides those of ``RedisChatStore`` (`meta`, `seq`, `log`):
/// `ev` (the event counter), `members` (a hash: client id -> member JSON), `joins` (join
/// order), `typing` (client id -> user), `live` (a hash: `stream`, `agent`, `node`,
/// `chunks`), `text` (the live answer so far), `waiting` (a list of `seq`s for the agent),
/// `answerer` (the node answering the room). Cluster keys: `nodes` (a sorted set: node ->
/// last beat, ms), `node:{NODE}:rooms` (rooms where a node has members or answers),
/// `reaped:NODE` (a node declared lost), `orphans` (rooms whose waiting messages need a node).
///
/// A room's frames are published on `<ns>:chat:ev:NAME` as `<ev> <kind> <except>\n<bytes>`:
/// kind `f` a frame for the members but `except` (`-` for none), `s` a stop request for the
/// answer `except`, `d` the room was deleted.
///
/// The scripts build no JSON for clients: frames come encoded from the service, with the
/// `seq` to splice in. They read room settings with `cjson.decode` and never write them
/// back (a compare-and-set from Swift changes them), so a `Room`'s encoding stays Swift's.
enum ChatLedgerScripts {
    private static let prelude = """
        local ns = ARGV[1]
        local META, SEQ, LOG = '\(ChatKeys.metaSuffix)', '\(ChatKeys.seqSuffix)', '\(ChatKeys.logSuffix)'
        local MESSAGE = '\(ChatKeys.messageField)'
        local ROOMS, ROOM_ORDER = ns .. '\(ChatKeys.roomsName)', ns .. '\(ChatKeys.roomOrderName)'
        local function rk(room, part) return ns .. '\(ChatKeys.roomOpen)' .. room .. '\(ChatKeys.roomClose)' .. part end
        local function nodeRooms(node) return ns .. 'node:{' .. node .. '}:rooms' end
        local function publish(room, kind, except, bytes)
          local ev = redis.call('INCR', rk(room, 'ev'))
          redis.call('PUBLISH', ns .. 'ev:' .. room, ev .. ' ' .. kind .. ' ' .. except .. '\\n' .. bytes)
          return ev
        end
        local function nowMs()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        local function present(value) return value ~= nil and value ~= cjson.null end
        local function liveState(room)
          local f = redis.call('HMGET', rk(room, 'live'), 'stream', 'agent', 'node', 'chunks')
          if not f[1] then return {} end
          return {f[1], f[2], f[3], f[4], redis.call('GET', rk(room, 'text')) or ''}
        end
        local function snapshot(room, recent)
          local entries = {}
          if recent > 0 then
            for _, entry in ipairs(redis.call('XREVRANGE', rk(room, LOG), '+', '-', 'COUNT', recent)) do
              entries[#entries + 1] = entry[1]
              entries[#entries + 1] = entry[2][2]
            end
          end
          return {
            redis.call('GET', rk(room, META)),
            tonumber(redis.call('GET', rk(room, 'ev')) or '0'),
            tonumber(redis.call('GET', rk(room, SEQ)) or '0'),
            redis.call('HVALS', rk(room, 'members')),
            redis.call('HKEYS', rk(room, 'typing')),
            entries,
            liveState(room),
          }
        end

        """

    private static func script(_ name: String, _ body: String) -> RedisScript {
        RedisScript(name: "chat-" + name, source: prelude + body)
    }

    /// ARGV ns, name, meta, max_rooms. Returns `ok`, `exists` or `limit`.
    static let create = script(
        "create",
        """
        local name = ARGV[2]
        if redis.call('EXISTS', rk(name, META)) == 1 then return 'exists' end
        if redis.call('ZCARD', ROOMS) >= tonumber(ARGV[4]) then return 'limit' end
        redis.call('ZADD', ROOMS, redis.call('INCR', ROOM_ORDER), name)
        redis.call('SET', rk(name, META), ARGV[3])
        return 'ok'
        """)

    /// Every key suffix of a room, as a Lua list.
    private static let roomParts = ([ChatKeys.metaSuffix, ChatKeys.seqSuffix, ChatKeys.logSuffix] + ChatKeys.ledgerSuffixes)
        .map { "'\($0)'" }.joined(separator: ", ")

    /// ARGV ns, name, requested_by, notice. Returns `ok`, `notfound` or `forbidden`.
    static let delete = script(
        "delete",
        """
        local name = ARGV[2]
        local meta = redis.call('GET', rk(name, META))
        if not meta then return 'notfound' end
        local creator = cjson.decode(meta).createdBy
        if not present(creator) or creator == '' or creator ~= ARGV[3] then return 'forbidden' end
        publish(name, 'd', '-', ARGV[4])
        for _, part in ipairs({\(roomParts)}) do
          redis.call('DEL', rk(name, part))
        end
        redis.call('ZREM', ROOMS, name)
        redis.call('SREM', ns .. 'orphans', name)
        return 'ok'
        """)

    /// ARGV ns, name, node, client_id, key, member_head, member_tail, notice, recent.
    /// Returns {status, detail, snapshot...}: `ok` (new member), `again` (already one),
    /// `notfound`, `forbidden`, `full` (detail: the limit).
    static let join = script(
        "join",
        """
        local name, node, client, key = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
        local meta = redis.call('GET', rk(name, META))
        if not meta then return {'notfound', ''} end
        local existing = redis.call('HGET', rk(name, 'members'), client)
        local status = 'again'
        if not existing then
          local room = cjson.decode(meta)
          if room.restricted == true and room.createdBy ~= key then
            local allowed = false
            for _, identity in ipairs(room.allowed or {}) do
              if identity == key then allowed = true end
            end
            if not allowed then return {'forbidden', ''} end
          end
          if redis.call('HLEN', rk(name, 'members')) >= tonumber(room.maxParticipants) then
            return {'full', tostring(room.maxParticipants)}
          end
          existing = ARGV[6] .. redis.call('INCR', rk(name, 'joins')) .. ARGV[7]
          redis.call('HSET', rk(name, 'members'), client, existing)
          redis.call('SADD', nodeRooms(node), name)
          redis.call('ZADD', ns .. 'nodes', 'NX', nowMs(), node)
          publish(name, 'f', client, ARGV[8])
          status = 'ok'
        end
        local reply = {status, existing}
        for _, part in ipairs(snapshot(name, tonumber(ARGV[9]))) do reply[#reply + 1] = part end
        return reply
        """)

    /// ARGV ns, name, client_id, notice. Returns 1 when it was a member.
    static let leave = script(
        "leave",
        """
        local name, client = ARGV[2], ARGV[3]
        if redis.call('HDEL', rk(name, 'members'), client) == 0 then return 0 end
        redis.call('HDEL', rk(name, 'typing'), client)
        publish(name, 'f', client, ARGV[4])
        return 1
        """)

    /// ARGV ns, name, frame_head, frame_tail, record, client_id ('' for none), keep_at_least,
    /// queue (1/0), max_waiting, node. The record's seq is the entry id `0-<seq>`.
    /// Returns {status, seq, start (1/0), full (-1 or the waiting count)}.
    static let post = script(
        "post",
        """
        local name, client, node = ARGV[2], ARGV[6], ARGV[10]
        local meta = redis.call('GET', rk(name, META))
        if not meta then return {'notfound'} end
        if client ~= '' and redis.call('HEXISTS', rk(name, 'members'), client) == 0 then return {'forbidden'} end
        local room = cjson.decode(meta)
        local seq = redis.call('INCR', rk(name, SEQ))
        local keep = math.max(tonumber(room.messageHistory) or 0, tonumber(ARGV[7]))
        redis.call('XADD', rk(name, LOG), 'MAXLEN', keep, '0-' .. seq, MESSAGE, ARGV[5])
        publish(name, 'f', '-', ARGV[3] .. seq .. ARGV[4])
        local start, full = 0, -1
        if ARGV[8] == '1' and present(room.agent) then
          local waiting = redis.call('LLEN', rk(name, 'waiting'))
          if waiting >= tonumber(ARGV[9]) then
            full = waiting
          else
            redis.call('RPUSH', rk(name, 'waiting'), seq)
            if redis.call('SET', rk(name, 'answerer'), node, 'NX') then
              redis.call('SADD', nodeRooms(node), name)
              redis.call('ZADD', ns .. 'nodes', 'NX', nowMs(), node)
              start = 1
            end
          end
        end
        return {'ok', seq, start, full}
        """)

    /// ARGV ns, name, except, bytes. Returns the event number, 0 when the room is gone.
    static let publish = script(
        "publish",
        """
        if redis.call('EXISTS', rk(ARGV[2], META)) == 0 then return 0 end
        return publish(ARGV[2], 'f', ARGV[3], ARGV[4])
        """)

    /// ARGV ns, name, client_id, user, typing (1/0), frame. Returns 1 when it changed.
    static let typing = script(
        "typing",
        """
        local name, client = ARGV[2], ARGV[3]
        if redis.call('HEXISTS', rk(name, 'members'), client) == 0 then return 0 end
        local changed
        if ARGV[5] == '1' then
          changed = redis.call('HSETNX', rk(name, 'typing'), client, ARGV[4])
        else
          changed = redis.call('HDEL', rk(name, 'typing'), client)
        end
        if changed == 1 then publish(name, 'f', client, ARGV[6]) end
        return changed
        """)

    /// ARGV ns, name, node, stream, context. Returns {} when nothing waits (the node no
    /// longer answers the room), else {meta, trigger, id, record, id, record...} (newest first).
    static let next = script(
        "next",
        """
        local name, node = ARGV[2], ARGV[3]
        if redis.call('GET', rk(name, 'answerer')) ~= node then return {} end
        local meta = redis.call('GET', rk(name, META))
        while meta do
          local trigger = redis.call('LPOP', rk(name, 'waiting'))
          if not trigger then break end
          local agent = cjson.decode(meta).agent
          if not present(agent) then break end
          local entries = redis.call('XREVRANGE', rk(name, LOG), '0-' .. trigger, '-', 'COUNT', ARGV[5])
          if #entries > 0 and entries[1][1] == '0-' .. trigger then
            redis.call('DEL', rk(name, 'text'))
            redis.call('HSET', rk(name, 'live'), 'stream', ARGV[4], 'agent', agent, 'node', node, 'chunks', 0)
            local reply = {meta, trigger}
            for _, entry in ipairs(entries) do
              reply[#reply + 1] = entry[1]
              reply[#reply + 1] = entry[2][2]
            end
            return reply
          end
        end
        redis.call('DEL', rk(name, 'answerer'), rk(name, 'waiting'))
        return {}
        """)

    /// ARGV ns, name, stream, text, frame_head, frame_tail. Returns the chunk's number, or
    /// -1 when `stream` is not the live answer.
    static let chunk = script(
        "chunk",
        """
        local name = ARGV[2]
        if redis.call('HGET', rk(name, 'live'), 'stream') ~= ARGV[3] then return -1 end
        local n = redis.call('HINCRBY', rk(name, 'live'), 'chunks', 1)
        redis.call('APPEND', rk(name, 'text'), ARGV[4])
        publish(name, 'f', '-', ARGV[5] .. n .. ARGV[6])
        return n
        """)

    /// ARGV ns, name, stream, bytes. Returns 1, or 0 when `stream` is not the live answer.
    static let answerFrame = script(
        "answer-frame",
        """
        if redis.call('HGET', rk(ARGV[2], 'live'), 'stream') ~= ARGV[3] then return 0 end
        publish(ARGV[2], 'f', '-', ARGV[4])
        return 1
        """)

    /// ARGV ns, name, stream, agent.
    static let answerAgent = script(
        "answer-agent",
        """
        if redis.call('HGET', rk(ARGV[2], 'live'), 'stream') ~= ARGV[3] then return 0 end
        redis.call('HSET', rk(ARGV[2], 'live'), 'agent', ARGV[4])
        return 1
        """)

    /// ARGV ns, name, stream. Returns the live answer's {stream, agent, node, chunks, text}
    /// and ends it, or {} when `stream` is not live.
    static let end = script(
        "end",
        """
        local name = ARGV[2]
        if redis.call('HGET', rk(name, 'live'), 'stream') ~= ARGV[3] then return {} end
        local state = liveState(name)
        redis.call('DEL', rk(name, 'live'), rk(name, 'text'))
        return state
        """)

    /// ARGV ns, name. Returns 1 when an answer was live (a stop request is published).
    static let stop = script(
        "stop",
        """
        local stream = redis.call('HGET', rk(ARGV[2], 'live'), 'stream')
        if not stream then return 0 end
        publish(ARGV[2], 's', stream, '')
        return 1
        """)

    /// ARGV ns, name, expected_meta, new_meta. Returns `ok`, `notfound` or `changed`.
    static let replaceMeta = script(
        "replace-meta",
        """
        local meta = redis.call('GET', rk(ARGV[2], META))
        if not meta then return 'notfound' end
        if meta ~= ARGV[3] then return 'changed' end
        redis.call('SET', rk(ARGV[2], META), ARGV[4])
        return 'ok'
        """)

    /// ARGV ns, node. Returns 0 when the node was declared lost (the flag is cleared).
    static let heartbeat = script(
        "heartbeat",
        """
        local node = ARGV[2]
        redis.call('ZADD', ns .. 'nodes', nowMs(), node)
        if redis.call('DEL', ns .. 'reaped:' .. node) == 1 then return 0 end
        return 1
        """)

    /// Removes what a lost node held: its members, its live answers, its answerer roles;
    /// rooms with waiting messages go to `me`. Appends {room, answer_now, {member...}, {live...}}
    /// per room to `reply`.
    private static let reapNode = """
        local function claim(room, me)
          if redis.call('EXISTS', rk(room, 'answerer')) == 0 and redis.call('LLEN', rk(room, 'waiting')) > 0 then
            redis.call('SET', rk(room, 'answerer'), me)
            redis.call('SADD', nodeRooms(me), room)
            return 1
          end
          return 0
        end
        local function reapNode(node, me, reply)
          for _, room in ipairs(redis.call('SMEMBERS', nodeRooms(node))) do
            local gone = {}
            local members = redis.call('HGETALL', rk(room, 'members'))
            for i = 1, #members, 2 do
              if cjson.decode(members[i + 1]).node == node then
                redis.call('HDEL', rk(room, 'members'), members[i])
                redis.call('HDEL', rk(room, 'typing'), members[i])
                gone[#gone + 1] = members[i + 1]
              end
            end
            local live = {}
            if redis.call('HGET', rk(room, 'live'), 'node') == node then
              live = liveState(room)
              redis.call('DEL', rk(room, 'live'), rk(room, 'text'))
            end
            if redis.call('GET', rk(room, 'answerer')) == node then redis.call('DEL', rk(room, 'answerer')) end
            reply[#reply + 1] = {room, 0, gone, live}
          end
          redis.call('DEL', nodeRooms(node))
          for _, entry in ipairs(reply) do
            if entry[2] == 0 then entry[2] = claim(entry[1], me) end
          end
        end

        """

    /// ARGV ns, me, silent_ms. Reaps every node whose last beat is older than silent_ms:
    /// returns, per room it was in, {room, answer_now (1/0), {member...}, {live...}}; and
    /// rooms whose waiting messages had no node ({room, 1, {}, {}}).
    static let reap = script(
        "reap",
        reapNode + """
        local me = ARGV[2]
        local reply = {}
        local dead = redis.call('ZRANGEBYSCORE', ns .. 'nodes', '-inf', nowMs() - tonumber(ARGV[3]))
        for _, node in ipairs(dead) do
          if node ~= me then
            redis.call('ZREM', ns .. 'nodes', node)
            redis.call('SET', ns .. 'reaped:' .. node, '1', 'EX', 86400)
            reapNode(node, me, reply)
          end
        end
        for _, room in ipairs(redis.call('SMEMBERS', ns .. 'orphans')) do
          redis.call('SREM', ns .. 'orphans', room)
          if claim(room, me) == 1 then reply[#reply + 1] = {room, 1, {}, {}} end
        end
        return reply
        """)

    /// ARGV ns, me. A node that starts ends what an earlier process of the same name left
    /// (members, answers), as a reaper would; the same reply as ``reap``.
    static let restart = script(
        "restart",
        reapNode + """
        local me = ARGV[2]
        local reply = {}
        reapNode(me, me, reply)
        redis.call('DEL', ns .. 'reaped:' .. me)
        redis.call('ZADD', ns .. 'nodes', nowMs(), me)
        return reply
        """)

    /// ARGV ns, node. The node leaves: rooms it answered keep their waiting messages for
    /// another node (`orphans`).
    static let leaveCluster = script(
        "leave-cluster",
        """
        local node = ARGV[2]
        for _, room in ipairs(redis.call('SMEMBERS', nodeRooms(node))) do
          if redis.call('GET', rk(room, 'answerer')) == node then
            redis.call('DEL', rk(room, 'answerer'))
            if redis.call('LLEN', rk(room, 'waiting')) > 0 then redis.call('SADD', ns .. 'orphans', room) end
          end
        end
        redis.call('DEL', nodeRooms(node))
        redis.call('ZREM', ns .. 'nodes', node)
        return 1
        """)

    /// ARGV ns. Returns {name, meta, participants, last_seq, streaming (1/0)} per room, in creation order.
    static let summaries = script(
        "summaries",
        """
        local reply = {}
        for _, name in ipairs(redis.call('ZRANGE', ROOMS, 0, -1)) do
          local meta = redis.call('GET', rk(name, META))
          if meta then
            reply[#reply + 1] = {
              name, meta, redis.call('HLEN', rk(name, 'members')), tonumber(redis.call('GET', rk(name, SEQ)) or '0'),
              redis.call('EXISTS', rk(name, 'live')),
            }
          end
        end
        return reply
        """)
}
