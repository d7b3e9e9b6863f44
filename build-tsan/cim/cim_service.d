build-tsan/cim/cim_service.o: cim/cim_service.c cim/cim.h cim/cim_err.h \
 util/rg_util.h cim/cim_rsd.h cim/cim_path.h db/db.h
cim/cim.h:
cim/cim_err.h:
util/rg_util.h:
cim/cim_rsd.h:
cim/cim_path.h:
db/db.h:
