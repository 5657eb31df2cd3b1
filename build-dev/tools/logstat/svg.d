build-dev/tools/logstat/svg.o: tools/logstat/svg.c tools/logstat/svg.h \
 tools/logstat/report.h tools/logstat/endings.h tools/logstat/record.h \
 src/core/str.h tools/logstat/stats.h tools/logstat/hist.h \
 tools/logstat/parser.h tools/logstat/format.h tools/logstat/parse_json.h \
 tools/logstat/series.h tools/logstat/topk.h tools/logstat/out.h \
 tools/logstat/timeparse.h
tools/logstat/svg.h:
tools/logstat/report.h:
tools/logstat/endings.h:
tools/logstat/record.h:
src/core/str.h:
tools/logstat/stats.h:
tools/logstat/hist.h:
tools/logstat/parser.h:
tools/logstat/format.h:
tools/logstat/parse_json.h:
tools/logstat/series.h:
tools/logstat/topk.h:
tools/logstat/out.h:
tools/logstat/timeparse.h:
