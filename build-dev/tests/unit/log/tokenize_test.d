build-dev/tests/unit/log/tokenize_test: tests/unit/log/tokenize_test.c \
 src/conf/vars.h src/conf/directive.h src/conf/tree.h src/core/pool.h \
 src/core/str.h src/core/varname.h src/log/format.h src/log/tokenize.h \
 tests/unit/unit.h
src/conf/vars.h:
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/core/str.h:
src/core/varname.h:
src/log/format.h:
src/log/tokenize.h:
tests/unit/unit.h:
