build-dev/src/parse/fields.o: src/parse/fields.c src/parse/fields.h \
 src/core/pool.h src/core/str.h src/parse/request.h
src/parse/fields.h:
src/core/pool.h:
src/core/str.h:
src/parse/request.h:
