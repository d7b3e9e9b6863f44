build-tsan/server/main.o: server/main.c db/db.h server/srv.h api/api.h \
 cim/cim.h cim/cim_err.h util/rg_util.h cim/cim_rsd.h
db/db.h:
server/srv.h:
api/api.h:
cim/cim.h:
cim/cim_err.h:
util/rg_util.h:
cim/cim_rsd.h:
