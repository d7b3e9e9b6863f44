-- POST /replication-groups with 8 members (the server runs with --multiple-membership).
local members = {}
for i = 1, 8 do members[i] = '"/logical-elements/' .. i .. '"' end
wrk.path = "/replication-groups"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"Members":[' .. table.concat(members, ",") .. '],"ReplicationSettingData":{"ElementName":"bench"}}'
