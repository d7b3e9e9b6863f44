build-tsan/api/api_rsd.o: api/api_rsd.c api/api.h cim/cim.h cim/cim_err.h \
 util/rg_util.h cim/cim_rsd.h
api/api.h:
cim/cim.h:
cim/cim_err.h:
util/rg_util.h:
cim/cim_rsd.h:
