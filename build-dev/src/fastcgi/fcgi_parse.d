build-dev/src/fastcgi/fcgi_parse.o: src/fastcgi/fcgi_parse.c \
 src/core/units.h src/core/str.h src/fastcgi/fcgi_parse.h \
 src/parse/response.h src/parse/request.h
src/core/units.h:
src/core/str.h:
src/fastcgi/fcgi_parse.h:
src/parse/response.h:
src/parse/request.h:
