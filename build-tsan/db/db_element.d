build-tsan/db/db_element.o: db/db_element.c db/db_int.h db/db.h
db/db_int.h:
db/db.h:
