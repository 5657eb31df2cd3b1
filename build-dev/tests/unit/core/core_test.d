build-dev/tests/unit/core/core_test: tests/unit/core/core_test.c \
 src/core/clock.h src/core/hash.h src/core/str.h src/core/pool.h \
 src/core/units.h tests/unit/unit.h
src/core/clock.h:
src/core/hash.h:
src/core/str.h:
src/core/pool.h:
src/core/units.h:
tests/unit/unit.h:
