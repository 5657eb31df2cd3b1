/* What the files of the headers module share: a level's settings. */
#ifndef HS_HEADERS_INTERNAL_H
#define HS_HEADERS_INTERNAL_H

#include "headers/headers.h"
#include "http/phase.h"
#include "parse/fields.h"

/* One add_header. */
typedef struct {
    hs_str name;
    hs_cv value;   /* empty after evaluation: nothing is added (nginx) */
    bool always;   /* every status, not only the successful and redirect ones */
} hd_add;

/* expires */
enum { HD_EXP_UNSET = -1, HD_EXP_OFF, HD_EXP_EPOCH, HD_EXP_MAX, HD_EXP_ACCESS, HD_EXP_MODIFIED, HD_EXP_DAILY };

/* How a body in source_charset becomes charset (recode.c): byte by byte
 * through table, or into / out of UTF-8 through a charset_map. */
typedef enum { HD_RC_BYTES, HD_RC_TO_UTF8, HD_RC_FROM_UTF8 } hd_rc_kind;
typedef struct hd_recode {
    hd_rc_kind kind;
    const unsigned char *table;        /* BYTES */
    const struct hd_charset_map *map;  /* the map, for the UTF-8 kinds */
} hd_recode;

/* The settings of a level; a level without its own shares its parent's. */
typedef struct hd_loc {
    hd_add *adds;            /* add_header of this level, or inherited when none here */
    size_t nadds;
    bool adds_here;          /* this level has add_header: the parent's are not inherited */
    hd_add *trailers;        /* add_trailer, inherited the same way */
    size_t ntrailers;
    bool trailers_here;
    int expires;             /* HD_EXP_* */
    int64_t expires_time;    /* seconds (may be negative); DAILY: the time of day */
    hs_cv *expires_cv;       /* expires with variables: parsed per response; NULL: none */
    hs_str charset;          /* empty: off */
    hs_cv *charset_cv;       /* charset with variables: evaluated per response; NULL: none */
    bool charset_set;
    int override;            /* override_charset: -1 unset, 0 off, 1 on */
    hs_str *types;           /* charset_types, lowercase; NULL: inherit / defaults */
    size_t ntypes;
    hs_str source;           /* source_charset; NULL: not set */
    const hs_conf_node *charset_node, *source_node; /* where they were set, for errors */
    const struct hd_recode *recode; /* source_charset -> charset, when they differ */
    const struct hd_charset_map *maps; /* the configuration's charset_maps */
    struct hd_loc *next;     /* every level's settings, for the checks at the end */
} hd_loc;

static inline hd_loc *hd_loc_of(const hs_loc_conf *lc) { return HS_MOD_SLOT(lc->mod, &hs_headers_module); }

extern const hs_directive hd_directives[];
/* An expires value (epoch, max, off, @TIME, [-+]TIME) into *mode (ACCESS or
 * MODIFIED on entry) and *seconds: NULL, or what is wrong with it. */
const char *hd_parse_expires(hs_str v, int *mode, int64_t *seconds);
/* What the module keeps per request (its slot): $request_id and the
 * trailer fields of add_trailer. */
typedef struct {
    char *request_id;        /* 32 hex digits, made on first use; NULL: none yet */
    hs_fields trailers;      /* as they were added, for $sent_trailer_NAME */
    bool trailers_due;       /* the response is chunked for them: the body filter adds them */
    bool trailers_ok;        /* the status is one add_trailer without always applies to */
    const hd_recode *recode; /* how the body is recoded (recode.c); NULL: as it is */
    unsigned char pend[4];   /* FROM_UTF8: a character cut at the end of the last piece */
    uint8_t npend;
    const hd_loc *conf;      /* the level whose add_trailer they are */
} hd_req;
hd_req *hd_req_of(hs_req *r); /* the request's, made on first use; NULL: out of memory */

/* The header filter (filter.c) and the trailers' body filter (trailers.c). */
int hd_filter(hs_req *r);
int hd_trailers_header(hs_req *r, const hd_loc *c, bool ok);
int hd_trailers_body(hs_req *r, unsigned next, const char *data, size_t n, bool last);
/* recode.c: charset_map, and a response recoded from source_charset. */
int hd_charset_map(hs_cf *cf, const hs_conf_node *n, void *conf, const hs_directive *d);
void hd_recode_init(void);
/* How source becomes charset through maps: NULL, or what is wrong. */
const char *hd_recode_plan(const struct hd_charset_map *maps, hs_str source, hs_str charset, const hd_recode **plan);
/* The charset_maps of the configuration being read. */
const struct hd_charset_map *hd_recode_maps(void);
int hd_recode_body(hs_req *r, unsigned next, const char *data, size_t n, bool last);
/* The module's variables (vars.c): $request_id (request_id.c), $cookie_NAME. */
extern const hs_var_def hd_variables[];
int hd_request_id_var(void *ctx, uintptr_t d, hs_str *out, char *scratch);
void hd_request_id_worker_start(const hs_config *conf);

#endif
