-- enqueue_many: a group commit: many jobs due now on one queue in one call
-- (the API's verified webhooks of one loop turn, DESIGN.md §3), each
-- deduplicated when it has an idempotency key.
-- KEYS[1] ready list, KEYS[2] stats hash, KEYS[3..] the dedup keys of the
-- jobs that have one, in job order
-- ARGV[1] dedup TTL s; then three per job: envelope, job id, and '1' when the
-- job has a dedup key (the next one of KEYS[3..]), else '0'
-- Returns one element per job, in order: 1 when enqueued, or the id of the
-- first job (a string) for a duplicate — also of an earlier job of this call.
-- Every read comes before the first write, so a failing call (WRONGTYPE on a
-- dedup key, OOM refusing the first write) leaves nothing written: the call
-- is all or nothing. Counters move once per call.
local ttl, out, push, sets, seen, k, dups = ARGV[1], {}, {}, {}, {}, 3, 0
for i = 2, #ARGV, 3 do
  local first = false
  if ARGV[i + 2] == '1' then
    local key = KEYS[k]
    k = k + 1
    first = seen[key] or redis.call('GET', key)
    if not first then
      seen[key] = ARGV[i + 1]
      sets[#sets + 1] = key
    end
  end
  if first then
    out[#out + 1] = first
    dups = dups + 1
  else
    out[#out + 1] = 1
    push[#push + 1] = ARGV[i]
  end
end
for i = 1, #push, 1000 do
  redis.call('LPUSH', KEYS[1], unpack(push, i, math.min(i + 999, #push)))
end
for _, key in ipairs(sets) do
  redis.call('SET', key, seen[key], 'EX', ttl)
end
if #push > 0 then
  redis.call('HINCRBY', KEYS[2], 'enqueued', #push)
end
if dups > 0 then
  redis.call('HINCRBY', KEYS[2], 'deduped', dups)
end
return out
