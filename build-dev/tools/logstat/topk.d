build-dev/tools/logstat/topk.o: tools/logstat/topk.c tools/logstat/topk.h \
 src/core/str.h tools/logstat/bytes.h tools/logstat/mem.h
tools/logstat/topk.h:
src/core/str.h:
tools/logstat/bytes.h:
tools/logstat/mem.h:
