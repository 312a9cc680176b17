-- ack: jobs finished successfully; removes their exact envelopes from the
-- worker's active list and counts them, per queue and per job type (count,
-- duration sum, duration histogram bucket) and per queue and minute (the
-- throughput hash, kept 25 h). Tracked command jobs' records (queue/track.h)
-- become 'succeeded' and expire an hour later; untracked jobs cost nothing.
-- KEYS[1] active list, KEYS[2] stats hash, KEYS[3] per-type stats hash,
-- KEYS[4] this minute's throughput hash, KEYS[5..4+T] tracking records
-- ARGV[1] T, then T pairs: started ms, finished ms (of the tracked jobs),
-- then groups of 4: envelope, type, histogram bucket label, duration µs
-- Returns how many envelopes were still held (the rest had been reaped).
local held = 0
local t = tonumber(ARGV[1])
local base = 2 + 2 * t
for i = base, #ARGV, 4 do
  held = held + redis.call('LREM', KEYS[1], 1, ARGV[i])
  local ty = ARGV[i + 1]
  redis.call('HINCRBY', KEYS[3], ty .. '|completed', 1)
  redis.call('HINCRBY', KEYS[3], ty .. '|le:' .. ARGV[i + 2], 1)
  redis.call('HINCRBY', KEYS[3], ty .. '|sum_us', ARGV[i + 3])
end
local n = (#ARGV - base + 1) / 4
redis.call('HINCRBY', KEYS[2], 'completed', n)
if redis.call('HINCRBY', KEYS[4], 'completed', n) == n then
  redis.call('EXPIRE', KEYS[4], 90000)
end
for k = 1, t do
  local key = KEYS[4 + k]
  if redis.call('EXISTS', key) == 1 then
    redis.call('HSET', key, 'state', 'succeeded', 'started_ms', ARGV[2 * k],
               'finished_ms', ARGV[2 * k + 1])
    redis.call('HINCRBY', key, 'attempts', 1)
    redis.call('EXPIRE', key, 3600)
  end
end
return held
