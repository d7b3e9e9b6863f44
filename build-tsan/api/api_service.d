build-tsan/api/api_service.o: api/api_service.c api/api.h cim/cim.h \
 cim/cim_err.h util/rg_util.h cim/cim_rsd.h
api/api.h:
cim/cim.h:
cim/cim_err.h:
util/rg_util.h:
cim/cim_rsd.h:
