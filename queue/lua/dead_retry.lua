-- dead_retry: moves every dead job back to ready as fresh envelopes built by
-- the caller (attempt 0; Lua never re-encodes payload numbers), only if the
-- dead list holds exactly `confirm` jobs and is still the list the caller
-- read. Oldest first, so the oldest runs first; envelopes the caller could
-- not decode (new = '') stay in dead, in their order.
-- KEYS[1] dead list, KEYS[2] ready list, KEYS[3] stats hash
-- ARGV[1] confirm, then pairs oldest first: old envelope, new envelope or ''
-- Returns {1, moved}, {0, the real count} (nothing touched) or {2, count}
-- when the list changed since it was read (nothing touched; read again).
local n = redis.call('LLEN', KEYS[1])
if n ~= tonumber(ARGV[1]) then return {0, n} end
if (#ARGV - 1) / 2 ~= n then return {2, n} end
local cur = redis.call('LRANGE', KEYS[1], 0, -1)
-- cur is newest first; pair k (oldest first) must be cur[n - k + 1].
for k = 1, n do
  if cur[n - k + 1] ~= ARGV[2 * k] then return {2, n} end
end
redis.call('DEL', KEYS[1])
local moved = 0
for k = 1, n do
  local new = ARGV[2 * k + 1]
  if new == '' then
    redis.call('LPUSH', KEYS[1], ARGV[2 * k])
  else
    redis.call('LPUSH', KEYS[2], new)
    moved = moved + 1
  end
end
if moved > 0 then redis.call('HINCRBY', KEYS[3], 'revived', moved) end
return {1, moved}
