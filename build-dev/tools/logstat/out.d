build-dev/tools/logstat/out.o: tools/logstat/out.c tools/logstat/out.h \
 src/core/str.h
tools/logstat/out.h:
src/core/str.h:
