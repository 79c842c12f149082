extension JobScripts {
    /// ARGV: prefix, now, error. Every job whose lease ended before `now` is scheduled
    /// again at `now` (or dead on its last attempt). Returns how many.
    static let recover = script("recover", #"""
    local now, err = ARGV[2], ARGV[3]
    local expired = redis.call('ZRANGEBYSCORE', PROCESSING, '-inf', '(' .. now)
    for _, id in ipairs(expired) do
      redis.call('ZREM', PROCESSING, id)
      retry_or_bury(id, err, now, now)
    end
    return #expired
    """#)

    /// ARGV: prefix, now, "all" or "ids", then the ids. Dead jobs become ready again with
    /// their attempts reset. Returns how many.
    static let requeueDead = script("requeue_dead", #"""
    local now = ARGV[2]
    local ids = {}
    if ARGV[3] == 'all' then
      ids = redis.call('ZRANGE', DEAD, 0, -1)
    else
      for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
    end
    local count = 0
    for _, id in ipairs(ids) do
      if redis.call('ZREM', DEAD, id) == 1 then
        local job, problem = load_small(id)
        if problem then
          bury_corrupt(id, problem, now)
        else
          redis.call('HSET', job_key(id), 'state', 'waiting', 'attempts', '0', 'run_at', now)
          redis.call('RPUSH', READY[job.priority], id)
          count = count + 1
        end
      end
    end
    return count
    """#)

    /// ARGV: prefix, how many ready jobs of each priority to look at for the oldest.
    /// Returns {waiting high, normal, low, scheduled, processing, dead, completed, oldest
    /// run-at among the first ready jobs of each list (empty when none)}.
    static let stats = script("stats", #"""
    local out = {}
    for _, priority in ipairs(PRIORITIES) do out[#out + 1] = redis.call('LLEN', READY[priority]) end
    out[#out + 1] = redis.call('ZCARD', SCHEDULED)
    out[#out + 1] = redis.call('ZCARD', PROCESSING)
    out[#out + 1] = redis.call('ZCARD', DEAD)
    out[#out + 1] = tonumber(redis.call('GET', COMPLETED) or '0')
    local oldest = false
    for _, priority in ipairs(PRIORITIES) do
      for _, id in ipairs(redis.call('LRANGE', READY[priority], 0, tonumber(ARGV[2]) - 1)) do
        local run_at = redis.call('HGET', job_key(id), 'run_at')
        if is_time(run_at) and (not oldest or tonumber(run_at) < tonumber(oldest)) then oldest = run_at end
      end
    end
    out[#out + 1] = oldest or ''
    return out
    """#)

    /// ARGV: prefix, limit. Returns the hashes of the oldest dead jobs, oldest first.
    static let deadJobs = script("dead_jobs", #"""
    local out = {}
    for _, id in ipairs(redis.call('ZRANGE', DEAD, 0, tonumber(ARGV[2]) - 1)) do
      local flat = redis.call('HGETALL', job_key(id))
      if #flat > 0 then out[#out + 1] = flat end
    end
    return out
    """#)

    /// ARGV: prefix, now, then per job: id, token, reason. Moves claimed jobs that Swift
    /// could not read to dead as corrupt records, if their leases are still held. Returns
    /// how many it moved.
    static let buryClaimed = script("bury_claimed", #"""
    local count = 0
    for i = 3, #ARGV, 3 do
      if holds(ARGV[i], ARGV[i + 1]) then
        bury_corrupt(ARGV[i], ARGV[i + 2], ARGV[2])
        count = count + 1
      end
    end
    return count
    """#)
}
