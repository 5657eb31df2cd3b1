build-dev/src/log/tokenize.o: src/log/tokenize.c src/log/tokenize.h \
 src/core/str.h src/core/varname.h
src/log/tokenize.h:
src/core/str.h:
src/core/varname.h:
