-- wrk script: allocate/feedback pairs on one connection, so that the agent keeps training while
-- allocate.lua measures. Run with -t1 -c1: each feedback answers the allocation just made.
local id = nil
wrk.headers["Content-Type"] = "application/json"

request = function()
  if id then
    local body = string.format('{"allocation_id":"%s","actual_usage":%d,"qos_met":true,"pods":2}', id, math.random(0, 100))
    id = nil
    return wrk.format("POST", "/feedback", nil, body)
  end
  return wrk.format("POST", "/allocate", nil, string.format('{"cores":%d,"memory":4000}', math.random(10, 100)))
end

response = function(status, headers, body)
  id = body:match('"allocation_id":"([^"]+)"')
end
