-- revive: move one dead job back to ready as a fresh envelope (attempts
-- reset, built by the caller so payload numbers are never re-encoded by Lua).
-- KEYS[1] dead list, KEYS[2] ready list, KEYS[3] stats hash
-- ARGV[1] old envelope (exact bytes), ARGV[2] new envelope
-- Returns 1 if moved, 0 if the old envelope was no longer in dead.
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then
  return 0
end
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('HINCRBY', KEYS[3], 'revived', 1)
return 1
