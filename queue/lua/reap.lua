-- reap: return every job a worker holds to the right end of ready (oldest
-- reservation ends rightmost, so it runs first) and forget the worker.
-- Used by the reaper for a worker whose heartbeat is older than the lease,
-- and by a worker itself at shutdown (lease 0) for what it did not finish.
-- KEYS[1] workers zset, KEYS[2] that worker's active list, KEYS[3] ready
-- list, KEYS[4] stats hash
-- ARGV[1] worker id, ARGV[2] lease ms (0 = unconditional)
-- Returns the number of jobs recovered, or -1 if the worker is alive again.
local lease = tonumber(ARGV[2])
if lease > 0 then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local hb = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if hb and now - tonumber(hb) < lease then
    return -1
  end
end
local n = 0
while redis.call('LMOVE', KEYS[2], KEYS[3], 'LEFT', 'RIGHT') do
  n = n + 1
end
redis.call('ZREM', KEYS[1], ARGV[1])
if n > 0 and lease > 0 then
  redis.call('HINCRBY', KEYS[4], 'recovered', n)
end
return n
