build-tsan/db/db_idem.o: db/db_idem.c db/db_int.h db/db.h
db/db_int.h:
db/db.h:
