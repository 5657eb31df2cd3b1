build-dev/src/buildinfo.o: src/buildinfo.c src/buildinfo.h \
 src/core/version.h
src/buildinfo.h:
src/core/version.h:
