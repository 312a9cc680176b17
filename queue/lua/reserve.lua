-- reserve: move up to N ready jobs into this worker's active list, unless
-- the queue is paused. The blocking wait for the first job is a plain
-- BLMOVE; this script tops up the remaining free slots without blocking.
-- KEYS[1] ready list, KEYS[2] active list of this worker, KEYS[3] paused key
-- ARGV[1] N
-- Returns {'paused'} or {'ok', envelope…} (oldest first).
if redis.call('EXISTS', KEYS[3]) == 1 then
  return {'paused'}
end
local out = {'ok'}
for _ = 1, tonumber(ARGV[1]) do
  local v = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
  if not v then break end
  out[#out + 1] = v
end
return out
