-- heartbeat: this worker is alive and serves the queue (Redis' clock, so
-- every host compares the same time).
-- KEYS[1] workers zset of the queue
-- ARGV[1] worker id
-- Returns the time written (ms).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
return now
