-- window: one page of a queue's jobs in one state, for listings and search,
-- read from the state's own key only (never a scan of the key space).
-- Positions count in the order workers take jobs: ready next-to-run first
-- (the right end), delayed soonest first, dead newest first, active per
-- worker in the order of the queue's workers zset.
-- KEYS[1] the state's key (ready or dead list, delayed zset; active: unused),
-- KEYS[2] workers zset of the queue
-- ARGV[1] state, ARGV[2] first position, ARGV[3] most matches,
-- ARGV[4] most envelopes to look at, ARGV[5] substring to find ('' = any),
-- ARGV[6] second substring, e.g. '"type":"x"' ('' = any),
-- ARGV[7] key prefix of active lists ("<prefix>:{Q}:active:")
-- Returns {total in the state, next position or -1 at the end,
-- envelope, worker ('' unless active), …}.
local state, pos = ARGV[1], tonumber(ARGV[2])
local want, budget = tonumber(ARGV[3]), tonumber(ARGV[4])
local q, q2 = ARGV[5], ARGV[6]
local CHUNK = 200
local out = {0, -1}

local function matches(v)
  return (q == '' or string.find(v, q, 1, true) ~= nil) and
         (q2 == '' or string.find(v, q2, 1, true) ~= nil)
end

-- Walks fetch(first, count) chunks from pos; stops at want matches or budget.
local function walk(total, fetch)
  out[1] = total
  local seen = 0
  while pos < total and seen < budget do
    local n = math.min(CHUNK, budget - seen, total - pos)
    local items, workers = fetch(pos, n)
    if #items == 0 then return end
    for i = 1, #items do
      seen = seen + 1
      pos = pos + 1
      if matches(items[i]) then
        out[#out + 1] = items[i]
        out[#out + 1] = workers and workers[i] or ''
        if (#out - 2) / 2 >= want then
          out[2] = pos < total and pos or -1
          return
        end
      end
    end
  end
  out[2] = pos < total and pos or -1
end

if state == 'ready' then
  walk(redis.call('LLEN', KEYS[1]), function(first, n)
    local v = redis.call('LRANGE', KEYS[1], -first - n, -first - 1)
    local r = {}
    for i = #v, 1, -1 do r[#r + 1] = v[i] end
    return r
  end)
elseif state == 'delayed' then
  walk(redis.call('ZCARD', KEYS[1]), function(first, n)
    return redis.call('ZRANGE', KEYS[1], first, first + n - 1)
  end)
elseif state == 'dead' then
  walk(redis.call('LLEN', KEYS[1]), function(first, n)
    return redis.call('LRANGE', KEYS[1], first, first + n - 1)
  end)
else
  local all, who = {}, {}
  for _, w in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    for _, v in ipairs(redis.call('LRANGE', ARGV[7] .. w, 0, -1)) do
      all[#all + 1] = v
      who[#who + 1] = w
    end
  end
  walk(#all, function(first, n)
    local r, ws = {}, {}
    for i = first + 1, math.min(first + n, #all) do
      r[#r + 1] = all[i]
      ws[#ws + 1] = who[i]
    end
    return r, ws
  end)
end
return out
