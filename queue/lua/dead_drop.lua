-- dead_drop: drops the whole dead list, only if it holds exactly `confirm`
-- jobs, so a stale screen cannot wipe more than it showed.
-- KEYS[1] dead list
-- ARGV[1] confirm
-- Returns {1, jobs dropped} or {0, the real count} (nothing touched).
local n = redis.call('LLEN', KEYS[1])
if n ~= tonumber(ARGV[1]) then return {0, n} end
redis.call('DEL', KEYS[1])
return {1, n}
