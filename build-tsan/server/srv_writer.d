build-tsan/server/srv_writer.o: server/srv_writer.c server/srv.h \
 api/api.h cim/cim.h cim/cim_err.h util/rg_util.h cim/cim_rsd.h
server/srv.h:
api/api.h:
cim/cim.h:
cim/cim_err.h:
util/rg_util.h:
cim/cim_rsd.h:
