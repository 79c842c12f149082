import StreamingApplication

/// The Lua scripts of ``RedisJobQueue``: each step that reads and then changes several
/// keys runs as one script, so it is atomic on the server and costs one round trip.
///
/// Keys, under the prefix `{namespace}:` (a hash tag, so all share one cluster slot):
/// `job:<id>` (hash: every ``Job`` field, payload and result as raw bytes, plus the live
/// lease's `token`, and `seq` for FIFO order among equal run-at times),
/// `ready:high|normal|low` (lists, FIFO), `scheduled` (zset by run-at), `processing`
/// (zset by lease expiry), `dead` (zset by burial order), `idem:<key>` (string: the job
/// id; it expires with its completed job), `seq` and `completed` (counters).
enum JobScripts {
    static func script(_ name: String, _ body: String) -> RedisScript {
        RedisScript(name: name, source: prelude + body)
    }

    /// ARGV: prefix, now, then per job: id, name, payload, priority, state, run_at,
    /// max_attempts, idempotency key (empty for none). Returns {position, id, ...} for
    /// each job whose idempotency key another job already holds (positions from 1).
    static let enqueue = script("enqueue", #"""
    local now = ARGV[2]
    local out = {}
    local ready = {high = {}, normal = {}, low = {}}
    local position = 0
    for i = 3, #ARGV, 8 do
      position = position + 1
      local id, priority, state, run_at, idem = ARGV[i], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 7]
      local existing = false
      if idem ~= '' then
        existing = redis.call('GET', idem_key(idem))
        if not existing then redis.call('SET', idem_key(idem), id) end
      end
      if existing then
        out[#out + 1] = position
        out[#out + 1] = existing
      else
        -- The common fields in one call, without building a table (the hot path).
        local key = job_key(id)
        redis.call('HSET', key, 'id', id, 'name', ARGV[i + 1], 'payload', ARGV[i + 2], 'priority', priority,
          'state', state, 'run_at', run_at, 'enqueued_at', now, 'attempts', '0', 'max_attempts', ARGV[i + 6])
        if idem ~= '' then redis.call('HSET', key, 'idem', idem) end
        if state == 'scheduled' then
          redis.call('HSET', key, 'seq', redis.call('INCR', SEQ))
          redis.call('ZADD', SCHEDULED, run_at, id)
        else
          local list = ready[priority]
          list[#list + 1] = id
        end
      end
    end
    for _, priority in ipairs(PRIORITIES) do chunked('RPUSH', READY[priority], ready[priority]) end
    return out
    """#)

    /// ARGV: prefix, now, limit, lease expiry, token base, most due jobs to promote.
    /// Promotes due scheduled jobs (by run-at, then enqueue order), then leases up to
    /// `limit` ready jobs by priority, then FIFO: state `processing`, one more attempt, a
    /// new token. Returns {buried, id, token, hash, id, token, hash...}: each hash as it was
    /// before the claim (Swift applies the three changes and checks every field); `buried` lists
    /// "id: reason" for each record too broken to claim, moved to dead on the way.
    static let claim = script("claim", #"""
    local now, limit, expires, base = ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
    local buried = {}
    local due = redis.call('ZRANGEBYSCORE', SCHEDULED, '-inf', now, 'WITHSCORES', 'LIMIT', 0, ARGV[6])
    if #due > 0 then
      local items = {}
      for i = 1, #due, 2 do
        local seq = tonumber(redis.call('HGET', job_key(due[i]), 'seq') or '') or 0
        items[#items + 1] = {id = due[i], score = tonumber(due[i + 1]), seq = seq}
      end
      table.sort(items, function(a, b)
        if a.score ~= b.score then return a.score < b.score end
        if a.seq ~= b.seq then return a.seq < b.seq end
        return a.id < b.id
      end)
      for _, item in ipairs(items) do
        redis.call('ZREM', SCHEDULED, item.id)
        local job, problem = load_small(item.id)
        if problem then
          bury_corrupt(item.id, problem, now)
          buried[#buried + 1] = item.id .. ': ' .. problem
        elseif job.state == 'scheduled' then
          redis.call('HSET', job_key(item.id), 'state', 'waiting')
          redis.call('RPUSH', READY[job.priority], item.id)
        end
      end
    end
    local out = {buried}
    local leases = {}
    local count = 0
    for _, priority in ipairs(PRIORITIES) do
      while count < limit do
        local ids = redis.call('LPOP', READY[priority], limit - count)
        if not ids then break end
        for _, id in ipairs(ids) do
          local flat = redis.call('HGETALL', job_key(id))
          local state, attempts
          for i = 1, #flat, 2 do
            local name = flat[i]
            if name == 'state' then state = flat[i + 1] elseif name == 'attempts' then attempts = tonumber(flat[i + 1]) end
          end
          if state == 'waiting' and attempts then
            count = count + 1
            local token = base .. ':' .. count
            redis.call('HSET', job_key(id), 'state', 'processing', 'attempts', attempts + 1, 'token', token)
            out[#out + 1] = id
            out[#out + 1] = token
            out[#out + 1] = flat
            leases[#leases + 1] = expires
            leases[#leases + 1] = id
          else
            -- Not ready after all: a stale entry, or a record too broken to claim.
            local _, problem = load_small(id)
            if problem then
              bury_corrupt(id, problem, now)
              buried[#buried + 1] = id .. ': ' .. problem
            end
          end
        end
      end
    end
    chunked('ZADD', PROCESSING, leases)
    return out
    """#)

    /// ARGV: prefix, retention in milliseconds, then per completion: id, token, whether
    /// a result follows ("1" or "0"), result. Returns 1 (the lease was held) or 0 per
    /// completion. A completed job keeps an empty token, so no lease matches it.
    static let complete = script("complete", #"""
    local retention = ARGV[2]
    local out = {}
    local done = {}
    for i = 3, #ARGV, 4 do
      local id, token = ARGV[i], ARGV[i + 1]
      local key = job_key(id)
      local held = redis.call('HMGET', key, 'token', 'idem')
      if token ~= '' and held[1] == token then
        if ARGV[i + 2] == '1' then
          redis.call('HSET', key, 'state', 'completed', 'token', '', 'result', ARGV[i + 3])
        else
          redis.call('HSET', key, 'state', 'completed', 'token', '')
        end
        redis.call('PEXPIRE', key, retention)
        if held[2] then redis.call('PEXPIRE', idem_key(held[2]), retention) end
        done[#done + 1] = id
        out[#out + 1] = 1
      else
        out[#out + 1] = 0
      end
    end
    if #done > 0 then
      chunked('ZREM', PROCESSING, done)
      redis.call('INCRBY', COMPLETED, #done)
    end
    return out
    """#)

    /// ARGV: prefix, now, id, token, error, retry time (empty for none). Returns 1 when held.
    static let fail = script("fail", #"""
    local now, id, token, err, retry_at = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
    if not holds(id, token) then return 0 end
    redis.call('ZREM', PROCESSING, id)
    if retry_at == '' then retry_at = false end
    retry_or_bury(id, err, retry_at, now)
    return 1
    """#)

    /// ARGV: prefix, now, then per lease: id, token. Returns 1 (held, now ready again at
    /// the front of its list) or 0 per lease.
    static let release = script("release", #"""
    local now = ARGV[2]
    local out = {}
    for i = 3, #ARGV, 2 do
      local id, token = ARGV[i], ARGV[i + 1]
      if holds(id, token) then
        redis.call('ZREM', PROCESSING, id)
        local job, problem = load_small(id)
        if problem then
          bury_corrupt(id, problem, now)
        else
          local key = job_key(id)
          redis.call('HDEL', key, 'token')
          redis.call('HSET', key, 'state', 'waiting', 'attempts', tostring(tonumber(job.attempts) - 1))
          redis.call('LPUSH', READY[job.priority], id)
        end
        out[#out + 1] = 1
      else
        out[#out + 1] = 0
      end
    end
    return out
    """#)

    /// ARGV: prefix, id, token, new lease expiry. Returns 1 when held.
    static let renew = script("renew", #"""
    local id, token, expires = ARGV[2], ARGV[3], ARGV[4]
    if not holds(id, token) then return 0 end
    redis.call('ZADD', PROCESSING, 'XX', expires, id)
    return 1
    """#)
}
