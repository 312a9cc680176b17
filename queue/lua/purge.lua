-- purge: drop every job of one state (ready or dead) of a queue.
-- KEYS[1] the list
-- Returns how many jobs were dropped.
local n = redis.call('LLEN', KEYS[1])
redis.call('DEL', KEYS[1])
return n
