build-dev/src/parse/path.o: src/parse/path.c src/parse/path.h \
 src/core/str.h
src/parse/path.h:
src/core/str.h:
