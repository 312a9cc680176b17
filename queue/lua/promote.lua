-- promote: move delayed jobs that are due (by Redis' clock) to the right
-- end of ready, earliest due taken first. Idempotent; any worker may run it.
-- KEYS[1] delayed zset, KEYS[2] ready list
-- ARGV[1] most jobs to move
-- Returns the number moved.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for i = #due, 1, -1 do
  redis.call('ZREM', KEYS[1], due[i])
  redis.call('RPUSH', KEYS[2], due[i])
end
return #due
