-- throughput: completed and failed counts of consecutive minutes, read from
-- the per-minute hashes ack and fail keep ("<prefix>:{Q}:tp:<epoch minute>",
-- same hash slot as the queue; they expire after 25 h).
-- ARGV[1] key prefix ("<prefix>:{Q}:tp:"), ARGV[2] first epoch minute,
-- ARGV[3] number of minutes
-- Returns {completed, failed, …} oldest minute first (0 when absent).
local out = {}
local first = tonumber(ARGV[2])
for m = first, first + tonumber(ARGV[3]) - 1 do
  local v = redis.call('HMGET', ARGV[1] .. m, 'completed', 'failed')
  out[#out + 1] = tonumber(v[1] or 0)
  out[#out + 1] = tonumber(v[2] or 0)
end
return out
