-- ratelimit: one request slot from a provider limiter shared by every worker
-- replica (worker/kit/ratelimit.h). Redis' own clock (TIME) is the only clock, so
-- replicas with skewed clocks still agree.
--
-- KEYS[1]  rate state: a hash {level, ts} (mode "bucket") or a zset of grant
--          times (mode "window")
-- KEYS[2]  concurrency leases: zset lease id → expiry ms (unused when ARGV[4] = 0)
-- ARGV[1]  mode: "bucket" (leaky bucket: ARGV[2] = size, ARGV[3] = ms per
--          leaked request), "window" (sliding window: at most ARGV[2]
--          grants in any ARGV[3] ms), or "none" (no rate limit)
-- ARGV[4]  concurrency limit (0 = none)
-- ARGV[5]  lease id (unique per call: also the window member)
-- ARGV[6]  lease TTL ms: a crashed holder's slot frees itself after this
--
-- Returns 0 when granted (the lease is held until released with ZREM or
-- its TTL), else the number of ms to wait before asking again. Nothing is
-- recorded unless every limit grants, so a waiting caller consumes nothing.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local mode, size, period = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local climit, lease, ttl = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])

if climit > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= climit then
    -- a slot frees when a holder finishes: poll soon, but never past the
    -- earliest expiry
    local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    local wait = 25
    if first[2] and tonumber(first[2]) - now < wait then wait = tonumber(first[2]) - now end
    if wait < 1 then wait = 1 end
    return wait
  end
end

local level
if mode == 'bucket' then
  local st = redis.call('HMGET', KEYS[1], 'level', 'ts')
  level = tonumber(st[1]) or 0
  local ts = tonumber(st[2]) or now
  if now > ts then level = level - (now - ts) / period end
  if level < 0 then level = 0 end
  if level + 1 > size then
    return math.ceil((level + 1 - size) * period)
  end
elseif mode == 'window' then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
  if redis.call('ZCARD', KEYS[1]) >= size then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    local wait = tonumber(oldest[2]) + period - now + 1
    if wait < 1 then wait = 1 end
    return wait
  end
end

if mode == 'bucket' then
  redis.call('HSET', KEYS[1], 'level', tostring(level + 1), 'ts', now)
  redis.call('PEXPIRE', KEYS[1], math.ceil(size * period) + 1000)
elseif mode == 'window' then
  redis.call('ZADD', KEYS[1], now, lease)
  redis.call('PEXPIRE', KEYS[1], period + 1000)
end
if climit > 0 then
  redis.call('ZADD', KEYS[2], now + ttl, lease)
  redis.call('PEXPIRE', KEYS[2], ttl + 1000)
end
return 0
