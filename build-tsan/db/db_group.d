build-tsan/db/db_group.o: db/db_group.c db/db_int.h db/db.h
db/db_int.h:
db/db.h:
