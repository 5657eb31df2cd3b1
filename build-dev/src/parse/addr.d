build-dev/src/parse/addr.o: src/parse/addr.c src/core/units.h \
 src/core/str.h src/parse/addr.h
src/core/units.h:
src/core/str.h:
src/parse/addr.h:
