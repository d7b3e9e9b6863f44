build-tsan/cim/cim_err.o: cim/cim_err.c cim/cim_err.h util/rg_util.h
cim/cim_err.h:
util/rg_util.h:
