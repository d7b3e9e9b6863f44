build-tsan/util/rg_util.o: util/rg_util.c util/rg_util.h
util/rg_util.h:
