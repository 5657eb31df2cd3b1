build-dev/src/core/shm.o: src/core/shm.c src/core/shm.h src/core/str.h \
 src/core/hash.h
src/core/shm.h:
src/core/str.h:
src/core/hash.h:
