-- stale: the workers of a queue whose last heartbeat is older than the lease.
-- KEYS[1] workers zset
-- ARGV[1] lease ms
-- Returns their ids.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
