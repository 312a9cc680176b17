-- find: one job of a queue by id, wherever it is: ready, delayed, dead, then
-- every active list of the queue's workers. Envelopes begin with their id
-- ('{"id":"<id>",', queue/job.c writes it first), so a prefix test suffices
-- and payload text can never match. Reads only the queue's own keys.
-- KEYS[1] ready, KEYS[2] delayed, KEYS[3] dead, KEYS[4] workers zset
-- ARGV[1] the envelope prefix '{"id":"<id>",', ARGV[2] key prefix of active
-- lists ("<prefix>:{Q}:active:"), ARGV[3] 'all' | 'active' (active lists only:
-- small, for following a tracked job)
-- Returns {state, envelope, worker ('' unless active)} or {} when absent.
local needle = ARGV[1]
local CHUNK = 1000

local function scan(total, fetch)
  for first = 0, total - 1, CHUNK do
    for _, v in ipairs(fetch(first, first + CHUNK - 1)) do
      if string.sub(v, 1, #needle) == needle then return v end
    end
  end
  return nil
end

local function list(key)
  return scan(redis.call('LLEN', key), function(a, b)
    return redis.call('LRANGE', key, a, b)
  end)
end

local v
if ARGV[3] ~= 'active' then
v = list(KEYS[1])
if v then return {'ready', v, ''} end
v = scan(redis.call('ZCARD', KEYS[2]), function(a, b)
  return redis.call('ZRANGE', KEYS[2], a, b)
end)
if v then return {'delayed', v, ''} end
v = list(KEYS[3])
if v then return {'dead', v, ''} end
end
for _, w in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
  v = list(ARGV[2] .. w)
  if v then return {'active', v, w} end
end
return {}
