-- scheduler: the lease that makes one worker the scheduler, with fencing,
-- and the per-entry record of the last period enqueued (worker/core/scheduler.h).
--
-- KEYS[1]  lease: string "<worker>|<fence>", PX = lease TTL
-- KEYS[2]  fence counter
-- KEYS[3]  last-run hash: entry → start ms of the last period enqueued
-- ARGV[1]  "lease" | "claim" | "done"
-- ARGV[2]  worker id
-- ARGV[3]  lease: TTL ms; claim/done: our fence
-- ARGV[4]  claim/done: entry name;  ARGV[5]: period start ms
--
-- lease → {1, fence} while we hold (renewed) or just took the lease, else
--         {0, 0};
-- claim → 1 when we hold the lease with this fence and the entry's period
--         has not been enqueued, 0 when it has, -1 when the lease is lost;
-- done  → records the period (never moving backwards); 1, or -1 when the
--         lease is lost.
local op, me = ARGV[1], ARGV[2]
local cur = redis.call('GET', KEYS[1])
if op == 'lease' then
  local ttl = tonumber(ARGV[3])
  if cur and string.sub(cur, 1, #me + 1) == me .. '|' then
    redis.call('PEXPIRE', KEYS[1], ttl)
    return {1, string.sub(cur, #me + 2)}
  end
  if cur then return {0, '0'} end
  local fence = tostring(redis.call('INCR', KEYS[2]))
  redis.call('SET', KEYS[1], me .. '|' .. fence, 'PX', ttl)
  return {1, fence}
end
if cur ~= me .. '|' .. ARGV[3] then return -1 end
local entry, period = ARGV[4], tonumber(ARGV[5])
local last = tonumber(redis.call('HGET', KEYS[3], entry) or '-1')
if op == 'claim' then
  if last >= period then return 0 end
  return 1
end
if period > last then redis.call('HSET', KEYS[3], entry, ARGV[5]) end
return 1
