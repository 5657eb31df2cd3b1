build-dev/src/core/pool.o: src/core/pool.c src/core/pool.h src/core/str.h
src/core/pool.h:
src/core/str.h:
