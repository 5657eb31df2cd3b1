build-dev/src/parse/status.o: src/parse/status.c src/parse/status.h \
 src/core/pool.h src/core/str.h
src/parse/status.h:
src/core/pool.h:
src/core/str.h:
