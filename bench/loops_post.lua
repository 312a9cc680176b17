-- bench/loops_post.lua: POST /hook with a Twilio-sized form body (~430 bytes),
-- figures printed as bench/health.lua prints them.
dofile("bench/health.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "SmsMessageSid=SM" .. string.rep("0", 32) .. "&NumMedia=0&ProfileName=Bench&SmsSid=SM" ..
  string.rep("1", 32) .. "&WaId=447700900123&SmsStatus=received&Body=" .. string.rep("order+2+x+SKU-1001+", 8) ..
  "&To=whatsapp%3A%2B14155238886&NumSegments=1&MessageSid=SM" .. string.rep("2", 32) ..
  "&AccountSid=AC" .. string.rep("3", 32) .. "&From=whatsapp%3A%2B447700900123&ApiVersion=2010-04-01"
