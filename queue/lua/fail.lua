-- fail: a job failed. If this worker still holds it, replace it by its next
-- envelope: scheduled for a retry, or pushed to the capped dead list.
-- A job no longer held (reaped and handed out again) is left alone.
-- Failures that retry or go dead count in this minute's throughput hash
-- (kept 25 h); a tracked command job's record (queue/track.h) follows.
-- KEYS[1] active list, KEYS[2] delayed zset, KEYS[3] dead list,
-- KEYS[4] stats hash, KEYS[5] per-type stats hash, KEYS[6] this minute's
-- throughput hash (callers before issue 12 omit it), KEYS[7] tracking record
-- (tracked jobs only)
-- ARGV[1] old envelope, ARGV[2] new envelope, ARGV[3] 'retry' | 'dead' |
-- 'defer' (retry that spends no attempt), ARGV[4] due ms, ARGV[5] dead cap
-- (MAX_DEAD_JOBS: the oldest dead jobs past it are dropped and counted in
-- the stats hash's dead_evicted),
-- ARGV[6] type, ARGV[7] histogram bucket label, ARGV[8] duration µs;
-- tracked: ARGV[9] last error, ARGV[10] started ms, ARGV[11] finished ms
-- Returns 0 when the job was not held, else 1 + how many dead jobs the cap
-- dropped.
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then
  return 0
end
if KEYS[7] and redis.call('EXISTS', KEYS[7]) == 1 then
  local state = ARGV[3] == 'dead' and 'dead' or 'delayed'
  redis.call('HSET', KEYS[7], 'state', state, 'last_error', ARGV[9],
             'started_ms', ARGV[10])
  redis.call('HINCRBY', KEYS[7], 'attempts', 1)
  if state == 'dead' then
    redis.call('HSET', KEYS[7], 'finished_ms', ARGV[11])
    redis.call('EXPIRE', KEYS[7], 3600)
  end
end
local t = ARGV[6]
if ARGV[3] == 'defer' then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
  redis.call('HINCRBY', KEYS[4], 'deferred', 1)
  return 1
end
redis.call('HINCRBY', KEYS[4], 'failed', 1)
if KEYS[6] and redis.call('HINCRBY', KEYS[6], 'failed', 1) == 1 then
  redis.call('EXPIRE', KEYS[6], 90000)
end
redis.call('HINCRBY', KEYS[5], t .. '|failed', 1)
redis.call('HINCRBY', KEYS[5], t .. '|le:' .. ARGV[7], 1)
redis.call('HINCRBY', KEYS[5], t .. '|sum_us', ARGV[8])
if ARGV[3] == 'retry' then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
  redis.call('HINCRBY', KEYS[4], 'retried', 1)
else
  local over = redis.call('LPUSH', KEYS[3], ARGV[2]) - tonumber(ARGV[5])
  redis.call('HINCRBY', KEYS[4], 'dead', 1)
  redis.call('HINCRBY', KEYS[5], t .. '|dead', 1)
  if over > 0 then
    redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[5]) - 1)
    redis.call('HINCRBY', KEYS[4], 'dead_evicted', over)
    return 1 + over
  end
end
return 1
