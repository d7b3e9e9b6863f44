build-tsan/cim/cim_lifecycle.o: cim/cim_lifecycle.c cim/cim.h \
 cim/cim_err.h util/rg_util.h cim/cim_rsd.h db/db.h
cim/cim.h:
cim/cim_err.h:
util/rg_util.h:
cim/cim_rsd.h:
db/db.h:
