build-dev/tests/unit/sync/url_test: tests/unit/sync/url_test.c \
 src/sync/url.h src/core/str.h tests/unit/unit.h
src/sync/url.h:
src/core/str.h:
tests/unit/unit.h:
