-- remove: deletes one job by its exact envelope from ready, delayed or dead
-- (never from an active list: a running job is the worker's). A tracked
-- command job's record becomes 'deleted' and expires an hour later.
-- KEYS[1] the state's key (list, or the delayed zset), KEYS[2] tracking
-- record (only for tracked jobs)
-- ARGV[1] 'list' | 'zset', ARGV[2] envelope, ARGV[3] record TTL s after the end
-- Returns 1 when removed, 0 when the envelope was no longer there.
local n
if ARGV[1] == 'zset' then
  n = redis.call('ZREM', KEYS[1], ARGV[2])
else
  n = redis.call('LREM', KEYS[1], 1, ARGV[2])
end
if n == 0 then return 0 end
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('HSET', KEYS[2], 'state', 'deleted', 'finished_ms', now)
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return 1
