-- ack: jobs finished successfully; removes their exact envelopes from the
-- worker's active list and counts them, per queue and per job type (count,
-- duration sum, duration histogram bucket).
-- KEYS[1] active list, KEYS[2] stats hash, KEYS[3] per-type stats hash
-- ARGV: groups of 4: envelope, type, histogram bucket label, duration µs
-- Returns how many envelopes were still held (the rest had been reaped).
local held = 0
for i = 1, #ARGV, 4 do
  held = held + redis.call('LREM', KEYS[1], 1, ARGV[i])
  local t = ARGV[i + 1]
  redis.call('HINCRBY', KEYS[3], t .. '|completed', 1)
  redis.call('HINCRBY', KEYS[3], t .. '|le:' .. ARGV[i + 2], 1)
  redis.call('HINCRBY', KEYS[3], t .. '|sum_us', ARGV[i + 3])
end
redis.call('HINCRBY', KEYS[2], 'completed', #ARGV / 4)
return held
