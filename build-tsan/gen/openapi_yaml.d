build-tsan/gen/openapi_yaml.o: build-tsan/gen/openapi_yaml.c server/srv.h \
 api/api.h cim/cim.h cim/cim_err.h util/rg_util.h cim/cim_rsd.h
server/srv.h:
api/api.h:
cim/cim.h:
cim/cim_err.h:
util/rg_util.h:
cim/cim_rsd.h:
