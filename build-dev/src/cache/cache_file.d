build-dev/src/cache/cache_file.o: src/cache/cache_file.c \
 src/cache/cache_file.h src/core/str.h
src/cache/cache_file.h:
src/core/str.h:
