-- enqueue_bulk: many jobs without idempotency keys in one call.
-- KEYS[1] ready list, KEYS[2] stats hash
-- ARGV[1..n] envelopes, oldest first (they run in this order)
-- Returns the number pushed.
for i = 1, #ARGV, 1000 do
  redis.call('LPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('HINCRBY', KEYS[2], 'enqueued', #ARGV)
return #ARGV
