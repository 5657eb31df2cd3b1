build-dev/src/core/varname.o: src/core/varname.c src/core/varname.h \
 src/core/str.h
src/core/varname.h:
src/core/str.h:
