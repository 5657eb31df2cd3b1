build-dev/src/conf/nginx_names.o: src/conf/nginx_names.c \
 src/conf/directive.h src/conf/tree.h src/core/pool.h src/core/str.h
src/conf/directive.h:
src/conf/tree.h:
src/core/pool.h:
src/core/str.h:
