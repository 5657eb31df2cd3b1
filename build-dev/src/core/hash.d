build-dev/src/core/hash.o: src/core/hash.c src/core/hash.h src/core/str.h
src/core/hash.h:
src/core/str.h:
