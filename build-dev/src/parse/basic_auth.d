build-dev/src/parse/basic_auth.o: src/parse/basic_auth.c \
 src/parse/basic_auth.h src/core/str.h src/core/base64.h
src/parse/basic_auth.h:
src/core/str.h:
src/core/base64.h:
