-- bench/ingest_twilio.lua: wrk script posting signed Twilio inbound webhooks,
-- each with a MessageSid no other request uses (so every request is a new
-- job, not a duplicate). The X-Twilio-Signature is computed with libcrypto's
-- HMAC-SHA1 through LuaJIT's FFI, exactly as external-apis.md §1.1
-- describes: base64(HMAC-SHA1(token, URL + sorted key+value)).
-- Two modes:
-- - per-request signing (PRESIGN unset or 0): each request is signed when
--   wrk sends it, so the load generator's crypto shares the cores;
-- - pre-signed (PRESIGN=N): each wrk thread builds N signed requests in
--   init(), before the clock starts, and cycles through them; should a run
--   outlast them it signs further ones per request and reports how many
--   (presign_exhausted), never re-sending a MessageSid.
-- wrk runs each thread's init() on its main thread and starts that thread at
-- once, before the next thread's init: so no thread would send while another
-- still builds its requests (those requests would be counted in a run whose
-- clock has not started), each thread waits before its first request until
-- the last thread's init created GO_FILE (not in the one request() call wrk
-- makes on its main thread to inspect the script).
-- Environment: SIGN_URL (the URL the API reconstructs: PUBLIC_BASE_URL + path),
-- TWILIO_TOKEN, RUN_TAG (keeps MessageSids unique across runs), PRESIGN,
-- WRK_THREADS and GO_FILE (a path that must not exist yet).
local ffi = require("ffi")
ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha1(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md,
                    unsigned int *md_len);
int access(const char *path, int mode);
int usleep(unsigned int usec);
]]
local crypto = ffi.load("crypto")
local mac = ffi.new("unsigned char[20]")
local maclen = ffi.new("unsigned int[1]")
local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function b64char(v)
  return b64chars:sub(v % 64 + 1, v % 64 + 1)
end

local function base64(p, n)
  local out = {}
  for i = 0, n - 1, 3 do
    local a, b, c = p[i], i + 1 < n and p[i + 1] or 0, i + 2 < n and p[i + 2] or 0
    local v = a * 65536 + b * 256 + c
    out[#out + 1] = b64char(math.floor(v / 262144))
    out[#out + 1] = b64char(math.floor(v / 4096))
    out[#out + 1] = i + 1 < n and b64char(math.floor(v / 64)) or "="
    out[#out + 1] = i + 2 < n and b64char(v) or "="
  end
  return table.concat(out)
end

local url = os.getenv("SIGN_URL")
local token = os.getenv("TWILIO_TOKEN")
local tag = os.getenv("RUN_TAG") or "0"
local presign = tonumber(os.getenv("PRESIGN") or "0") or 0
local nthreads = tonumber(os.getenv("WRK_THREADS") or "1") or 1
local go_file = os.getenv("GO_FILE")
local started = go_file == nil
local threads, all = 0, {}
local counter, prefix, signed, next_signed, exhausted = 0, "", {}, 1, 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
  all[#all + 1] = thread
end

-- Fixed fields, already in Twilio's sorted-key order around MessageSid.
local account = "AC00000000000000000000000000000000"
local from, to, body = "whatsapp:+15551234567", "whatsapp:+14155238886", "bench"

local function sign_next()
  counter = counter + 1
  local sid = string.format("%s%018d", prefix, counter)
  local data = url .. "AccountSid" .. account .. "Body" .. body .. "From" .. from ..
               "MessageSid" .. sid .. "NumMedia0" .. "To" .. to
  crypto.HMAC(crypto.EVP_sha1(), token, #token, data, #data, mac, maclen)
  local form = "MessageSid=" .. sid .. "&AccountSid=" .. account ..
               "&From=whatsapp%3A%2B15551234567&To=whatsapp%3A%2B14155238886&Body=bench&NumMedia=0"
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = base64(mac, 20),
  }, form)
end

function init(args)
  prefix = string.format("SM%s%02d", tag, tonumber(tid) or 0)
  for i = 1, presign do
    signed[i] = sign_next()
  end
  if go_file and tonumber(tid) == nthreads - 1 then
    io.open(go_file, "w"):close()
  end
end

local calls = 0

function request()
  calls = calls + 1
  -- wrk calls thread 0's request() once on its main thread, right after
  -- that thread's init, to inspect it: that call must not wait.
  while not started and not (calls == 1 and tonumber(tid) == 0) do
    started = ffi.C.access(go_file, 0) == 0
    if not started then ffi.C.usleep(1000) end
  end
  if next_signed <= #signed then
    local r = signed[next_signed]
    signed[next_signed] = false -- each pre-signed request is sent once
    next_signed = next_signed + 1
    return r
  end
  if presign > 0 then
    exhausted = exhausted + 1
    thread_exhausted = exhausted
  end
  return sign_next()
end

function done(summary, latency, requests)
  local non2xx, short = summary.errors.status, 0
  for _, t in ipairs(all) do
    short = short + (tonumber(t:get("thread_exhausted")) or 0)
  end
  io.write(string.format("RESULT requests=%d duration_us=%d rps=%.0f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f non2xx=%d socket_errors=%d presign_exhausted=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    non2xx, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    short))
end
