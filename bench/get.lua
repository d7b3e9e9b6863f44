-- GET one group with its 8 members.
wrk.path = "/replication-groups/1"
