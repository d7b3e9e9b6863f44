build-tsan/cim/cim_rsd.o: cim/cim_rsd.c cim/cim_rsd.h cim/cim_err.h \
 util/rg_util.h
cim/cim_rsd.h:
cim/cim_err.h:
util/rg_util.h:
