build-tsan/cim/cim_idem.o: cim/cim_idem.c cim/cim.h cim/cim_err.h \
 util/rg_util.h cim/cim_rsd.h db/db.h
cim/cim.h:
cim/cim_err.h:
util/rg_util.h:
cim/cim_rsd.h:
db/db.h:
