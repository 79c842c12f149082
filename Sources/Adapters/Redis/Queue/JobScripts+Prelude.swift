extension JobScripts {
    /// Lua shared by every script: key names, reading and checking a job hash, and the
    /// moves every script needs. `ARGV[1]` is always the namespace's key prefix.
    ///
    /// Times travel as the decimal text Swift wrote (`Double.description`) and are stored
    /// as that text; Lua only compares them with `tonumber`, never formats one (Lua's
    /// `%.14g` would round them).
    static let prelude = #"""
    local P = ARGV[1]
    local READY = {high = P .. 'ready:high', normal = P .. 'ready:normal', low = P .. 'ready:low'}
    local PRIORITIES = {'high', 'normal', 'low'}
    local SCHEDULED = P .. 'scheduled'
    local PROCESSING = P .. 'processing'
    local DEAD = P .. 'dead'
    local SEQ = P .. 'seq'
    local COMPLETED = P .. 'completed'
    local function job_key(id) return P .. 'job:' .. id end
    local function idem_key(key) return P .. 'idem:' .. key end

    local FIELDS = {id = 1, name = 1, payload = 1, priority = 1, state = 1, run_at = 1, enqueued_at = 1,
      attempts = 1, max_attempts = 1, idem = 1, last_error = 1, result = 1, token = 1, seq = 1}
    local REQUIRED = {'id', 'name', 'payload', 'priority', 'state', 'run_at', 'enqueued_at', 'attempts', 'max_attempts'}
    local SMALL = {'id', 'priority', 'state', 'run_at', 'enqueued_at', 'attempts', 'max_attempts'}
    local STATES = {scheduled = 1, waiting = 1, processing = 1, completed = 1, dead = 1}

    local function is_int(v) return v ~= nil and v ~= false and string.match(v, '^%-?%d+$') ~= nil end
    local function is_time(v)
      return v ~= nil and v ~= false and string.match(v, '^%-?%d+%.?%d*[eE]?[%+%-]?%d*$') ~= nil and tonumber(v) ~= nil
    end
    local function shown(v)
      if string.len(v) > 40 then return string.sub(v, 1, 40) .. '...' end
      return v
    end

    -- Checks a job's field names and small values; returns nil or what is wrong.
    local function problems_of(id, names, job)
      if #names == 0 then return 'the job hash is missing' end
      local problems = {}
      local present = {}
      for _, name in ipairs(names) do
        present[name] = true
        if FIELDS[name] == nil then problems[#problems + 1] = 'unknown field "' .. shown(name) .. '"' end
      end
      for _, name in ipairs(REQUIRED) do
        if not present[name] then problems[#problems + 1] = 'missing field ' .. name end
      end
      if job.id and job.id ~= id then problems[#problems + 1] = 'field id does not match the key' end
      if job.priority and READY[job.priority] == nil then
        problems[#problems + 1] = 'priority "' .. shown(job.priority) .. '" is not high, normal or low'
      end
      if job.state and STATES[job.state] == nil then problems[#problems + 1] = 'state "' .. shown(job.state) .. '" is unknown' end
      for _, name in ipairs({'attempts', 'max_attempts'}) do
        if job[name] and not is_int(job[name]) then problems[#problems + 1] = name .. ' "' .. shown(job[name]) .. '" is not an integer' end
      end
      for _, name in ipairs({'run_at', 'enqueued_at'}) do
        if job[name] and not is_time(job[name]) then problems[#problems + 1] = name .. ' "' .. shown(job[name]) .. '" is not a time' end
      end
      if #problems == 0 then return nil end
      return table.concat(problems, '; ')
    end

    -- The whole hash: the job's fields as a table, the flat HGETALL list, and what is wrong.
    local function load_full(id)
      local flat = redis.call('HGETALL', job_key(id))
      local names, job = {}, {}
      for i = 1, #flat, 2 do
        names[#names + 1] = flat[i]
        job[flat[i]] = flat[i + 1]
      end
      return job, flat, problems_of(id, names, job)
    end

    -- The small fields only (not payload or result): the table and what is wrong.
    local function load_small(id)
      local key = job_key(id)
      local names = redis.call('HKEYS', key)
      local values = redis.call('HMGET', key, unpack(SMALL))
      local job = {}
      for i, name in ipairs(SMALL) do
        if values[i] then job[name] = values[i] end
      end
      return job, problems_of(id, names, job)
    end

    -- Makes an unreadable record a readable dead job: unknown fields go, missing or bad
    -- ones get defaults, and last_error says what was wrong.
    local function bury_corrupt(id, reason, now)
      local key = job_key(id)
      local flat = redis.call('HGETALL', key)
      local job = {}
      for i = 1, #flat, 2 do
        if FIELDS[flat[i]] == nil then redis.call('HDEL', key, flat[i]) else job[flat[i]] = flat[i + 1] end
      end
      local fix = {'id', id, 'state', 'dead', 'last_error', 'corrupt record: ' .. reason}
      local function default(name, ok, value)
        if not ok then fix[#fix + 1] = name; fix[#fix + 1] = value end
      end
      default('name', job.name ~= nil, '')
      default('payload', job.payload ~= nil, '')
      default('priority', job.priority ~= nil and READY[job.priority] ~= nil, 'normal')
      default('run_at', is_time(job.run_at), now)
      default('enqueued_at', is_time(job.enqueued_at), now)
      default('attempts', is_int(job.attempts), '0')
      default('max_attempts', is_int(job.max_attempts), '1')
      redis.call('HSET', key, unpack(fix))
      redis.call('HDEL', key, 'token')
      redis.call('ZREM', PROCESSING, id)
      redis.call('ZREM', SCHEDULED, id)
      redis.call('ZADD', DEAD, redis.call('INCR', SEQ), id)
    end

    -- Ends an attempt that failed: scheduled again at retry_at while attempts remain,
    -- else dead. The caller has taken the job out of PROCESSING.
    local function retry_or_bury(id, err, retry_at, now)
      local job, problem = load_small(id)
      if problem then
        bury_corrupt(id, problem, now)
        return
      end
      local key = job_key(id)
      redis.call('HDEL', key, 'token')
      if retry_at and tonumber(job.attempts) < tonumber(job.max_attempts) then
        redis.call('HSET', key, 'state', 'scheduled', 'run_at', retry_at, 'last_error', err, 'seq', redis.call('INCR', SEQ))
        redis.call('ZADD', SCHEDULED, retry_at, id)
      else
        redis.call('HSET', key, 'state', 'dead', 'last_error', err)
        redis.call('ZADD', DEAD, redis.call('INCR', SEQ), id)
      end
    end

    -- Whether `token` is the live lease of job `id` (a finished job keeps an empty token).
    local function holds(id, token)
      return token ~= '' and redis.call('HGET', job_key(id), 'token') == token
    end

    -- Calls `command` on `key` with `items` appended, a thousand at a time (Lua's unpack
    -- has a stack limit).
    local function chunked(command, key, items)
      for first = 1, #items, 1000 do
        redis.call(command, key, unpack(items, first, math.min(first + 999, #items)))
      end
    end

    """#
}
