build-dev/src/parse/response.o: src/parse/response.c src/parse/response.h \
 src/parse/request.h src/core/str.h src/parse/chars.h
src/parse/response.h:
src/parse/request.h:
src/core/str.h:
src/parse/chars.h:
