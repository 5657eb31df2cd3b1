build-dev/tools/logstat/main.o: tools/logstat/main.c \
 tools/logstat/input.h src/core/str.h tools/logstat/parser.h \
 tools/logstat/format.h tools/logstat/record.h tools/logstat/parse_json.h \
 tools/logstat/report.h tools/logstat/endings.h tools/logstat/stats.h \
 tools/logstat/hist.h tools/logstat/series.h tools/logstat/topk.h
tools/logstat/input.h:
src/core/str.h:
tools/logstat/parser.h:
tools/logstat/format.h:
tools/logstat/record.h:
tools/logstat/parse_json.h:
tools/logstat/report.h:
tools/logstat/endings.h:
tools/logstat/stats.h:
tools/logstat/hist.h:
tools/logstat/series.h:
tools/logstat/topk.h:
