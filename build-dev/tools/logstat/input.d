build-dev/tools/logstat/input.o: tools/logstat/input.c \
 tools/logstat/input.h src/core/str.h tools/logstat/mem.h
tools/logstat/input.h:
src/core/str.h:
tools/logstat/mem.h:
