build-dev/tools/logstat/jsonw.o: tools/logstat/jsonw.c \
 tools/logstat/jsonw.h src/core/str.h tools/logstat/out.h
tools/logstat/jsonw.h:
src/core/str.h:
tools/logstat/out.h:
