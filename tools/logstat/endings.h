/* The names and one-line meanings of every ending, shared by the text,
 * JSON and HTML reports so that they always say the same thing. */
#ifndef LS_ENDINGS_H
#define LS_ENDINGS_H

#include "record.h"

typedef struct {
    const char *id;      /* stable name used in JSON: "drop", "client_abort" */
    int status;          /* the status nginx logs for it, 0 for a class */
    const char *label;   /* short column label: "444 drop" */
    const char *meaning; /* what it means for an operator, one line */
} ls_ending_info;

/* Status classes, shown first: 1xx (informational, rare), 2xx..5xx. */
enum { LS_CLASS_1XX = 0, LS_CLASS_2XX, LS_CLASS_3XX, LS_CLASS_4XX, LS_CLASS_5XX, LS_CLASS_COUNT };
extern const ls_ending_info ls_class_info[LS_CLASS_COUNT];

/* The special endings, indexed by ls_kind (only the special kinds have
 * meanings; the others are counted through the classes). */
const ls_ending_info *ls_kind_info(ls_kind k);
#define LS_SPECIAL_FIRST LS_K_DROP
#define LS_SPECIAL_LAST LS_K_BARE

/* One line about a hush $close_reason. */
const char *ls_close_reason_meaning(int cr);

#endif
