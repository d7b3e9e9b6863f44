build-tsan/cim/cim_path.o: cim/cim_path.c cim/cim_path.h util/rg_util.h
cim/cim_path.h:
util/rg_util.h:
