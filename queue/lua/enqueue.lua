-- enqueue: one job, optionally deduplicated and/or delayed (DESIGN.md §3),
-- optionally tracked (a command job: its record, queue/track.h, is written
-- here with the job so status_url never points at nothing).
-- KEYS[1] ready list, KEYS[2] delayed zset, KEYS[3] stats hash,
-- KEYS[4] dedup key (only when the job has an idempotency key),
-- KEYS[last] tracking record (only when ARGV[5] is '1')
-- ARGV[1] envelope, ARGV[2] due time ms (0 = now), ARGV[3] dedup TTL s,
-- ARGV[4] job id, ARGV[5] '1' when tracked, ARGV[6] the record's TTL s,
-- ARGV[7..] the record's field, value pairs
-- Returns {1, id} when enqueued, {0, id of the first job} for a duplicate.
local tracked = ARGV[5] == '1'
local dedup = #KEYS - (tracked and 1 or 0) >= 4
if dedup then
  if not redis.call('SET', KEYS[4], ARGV[4], 'NX', 'EX', ARGV[3]) then
    redis.call('HINCRBY', KEYS[3], 'deduped', 1)
    return {0, redis.call('GET', KEYS[4]) or ''}
  end
end
if tonumber(ARGV[2]) > 0 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
else
  redis.call('LPUSH', KEYS[1], ARGV[1])
end
redis.call('HINCRBY', KEYS[3], 'enqueued', 1)
if tracked then
  local key = KEYS[#KEYS]
  redis.call('HSET', key, unpack(ARGV, 7))
  redis.call('EXPIRE', key, ARGV[6])
end
return {1, ARGV[4]}
