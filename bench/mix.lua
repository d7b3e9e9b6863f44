-- 90% reads of one group, 10% creates of groups with 8 members.
local members = {}
for i = 1, 8 do members[i] = '"/logical-elements/' .. i .. '"' end
local body = '{"Members":[' .. table.concat(members, ",") .. ']}'
local n = 0
request = function()
  n = n + 1
  if n % 10 == 0 then
    return wrk.format("POST", "/replication-groups", {["Content-Type"] = "application/json"}, body)
  end
  return wrk.format("GET", "/replication-groups/1")
end
