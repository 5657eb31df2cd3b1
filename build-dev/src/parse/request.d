build-dev/src/parse/request.o: src/parse/request.c src/parse/request.h \
 src/core/str.h src/parse/chars.h
src/parse/request.h:
src/core/str.h:
src/parse/chars.h:
