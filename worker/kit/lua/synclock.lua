-- synclock: the lock that keeps one sync of a (source, resource) running at
-- a time across every worker (worker/kit/sync.h), with a fencing token.
--
-- KEYS[1]  the lock: string "<holder>|<fence>", PX = lease TTL
-- KEYS[2]  the fence counter for this (source, resource)
-- ARGV[1]  "acquire" | "refresh" | "release"
-- ARGV[2]  holder ("<worker id>/<job id>")
-- ARGV[3]  lease TTL ms (acquire, refresh)
-- ARGV[4]  fence (refresh, release)
--
-- acquire → {1, fence} when taken (the fence is strictly greater than any
--           before it: max(counter + 1, Redis time in µs), so even a flushed
--           Redis never hands out a fence Postgres has already seen), or
--           {0, ms left on the holder's lease};
-- refresh → 1 while we still hold it (TTL extended), 0 when lost;
-- release → 1 when it was ours and is gone, 0 otherwise.
local op = ARGV[1]
if op == 'acquire' then
  if redis.call('EXISTS', KEYS[1]) == 1 then
    return {0, redis.call('PTTL', KEYS[1])}
  end
  local t = redis.call('TIME')
  local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local fence = tonumber(redis.call('INCR', KEYS[2]))
  if fence < now_us then
    fence = now_us
    redis.call('SET', KEYS[2], string.format('%.0f', fence))
  end
  local f = string.format('%.0f', fence)
  redis.call('SET', KEYS[1], ARGV[2] .. '|' .. f, 'PX', tonumber(ARGV[3]))
  return {1, f}
end
local mine = redis.call('GET', KEYS[1]) == ARGV[2] .. '|' .. ARGV[4]
if op == 'refresh' then
  if not mine then return 0 end
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
  return 1
end
if mine then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
