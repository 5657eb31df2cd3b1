build-dev/src/static/file_cache.o: src/static/file_cache.c \
 src/static/file_cache.h src/core/pool.h src/core/str.h src/core/clock.h \
 src/core/hash.h
src/static/file_cache.h:
src/core/pool.h:
src/core/str.h:
src/core/clock.h:
src/core/hash.h:
