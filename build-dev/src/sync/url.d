build-dev/src/sync/url.o: src/sync/url.c src/sync/url.h src/core/str.h
src/sync/url.h:
src/core/str.h:
