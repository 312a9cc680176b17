-- stats: one consistent snapshot of a queue for the CLI, /metrics and
-- /health/detailed. Active jobs are counted over the active lists of the
-- workers registered on the queue (same hash slot as the queue's keys).
-- KEYS[1] ready, KEYS[2] delayed, KEYS[3] dead, KEYS[4] paused,
-- KEYS[5] stats, KEYS[6] workers
-- ARGV[1] key prefix of active lists ("<prefix>:{Q}:active:")
-- Returns {ready, delayed, dead, paused 0/1, active, workers, now ms,
-- oldest ready envelope or '', {stats field, value, …}}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local active = 0
local workers = redis.call('ZRANGE', KEYS[6], 0, -1)
for _, w in ipairs(workers) do
  active = active + redis.call('LLEN', ARGV[1] .. w)
end
return {
  redis.call('LLEN', KEYS[1]),
  redis.call('ZCARD', KEYS[2]),
  redis.call('LLEN', KEYS[3]),
  redis.call('EXISTS', KEYS[4]),
  active,
  #workers,
  now,
  redis.call('LINDEX', KEYS[1], -1) or '',
  redis.call('HGETALL', KEYS[5]),
}
