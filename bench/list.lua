-- A list page of 100 groups, at a spread of cursors.
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/replication-groups?limit=100&cursor=" .. ((n * 37) % 200))
end
