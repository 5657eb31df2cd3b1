build-dev/src/parse/chunked.o: src/parse/chunked.c src/parse/chunked.h \
 src/core/buf.h src/core/str.h src/parse/chars.h
src/parse/chunked.h:
src/core/buf.h:
src/core/str.h:
src/parse/chars.h:
