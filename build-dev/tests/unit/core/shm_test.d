build-dev/tests/unit/core/shm_test: tests/unit/core/shm_test.c \
 src/core/shm.h src/core/str.h tests/unit/unit.h
src/core/shm.h:
src/core/str.h:
tests/unit/unit.h:
