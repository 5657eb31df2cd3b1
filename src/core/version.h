/* hush's version, in one place. */
#ifndef HS_VERSION_H
#define HS_VERSION_H

#define HS_VERSION "0.1.0"
#define HS_SERVER_TOKEN "hush/" HS_VERSION

#endif
