build-tsan/db/db.o: db/db.c db/db_int.h db/db.h util/rg_util.h
db/db_int.h:
db/db.h:
util/rg_util.h:
