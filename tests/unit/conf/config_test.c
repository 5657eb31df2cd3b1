/* Whole configurations: directive checks with FILE:LINE errors, inheritance,
 * server and location selection (nginx's order). */
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "http/http.h"
#include "log/writer.h"
#include "modules.h"
#include "static/static_internal.h"
#include "unit.h"

static char dir[] = "/tmp/hush-conf-XXXXXX";
static char err[1024];

static hs_config *load(const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/t.conf", dir);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    err[0] = '\0';
    hs_log_files_detach();
    return hs_config_load(path, dir, NULL, err, sizeof(err));
}

#define HTTP(body) "events {}\nhttp {\n access_log off;\n" body "}\n"

static void expect_error(const char *text, const char *want)
{
    hs_config *c = load(text);
    CHECK(c == NULL);
    if (c)
        fprintf(stderr, "  loaded although it should fail: %s\n", text);
    if (c == NULL && strstr(err, want) == NULL) {
        fprintf(stderr, "  error \"%s\" lacks \"%s\"\n", err, want);
        unit_failures++;
    }
    hs_config_free(c);
}

static void test_errors(void)
{
    expect_error(HTTP(" server {\n  listen 1;\n  no_such_directive on;\n }\n"), "t.conf:6: unknown directive \"no_such_directive\"");
    expect_error(HTTP(" listen 80;\n"), "t.conf:4: \"listen\" directive is not allowed here");
    expect_error(HTTP(" server { root; }\n"), "t.conf:4: invalid number of arguments in \"root\"");
    expect_error(HTTP(" server { location ~ \"(\" {} }\n"), "t.conf:4: pcre2_compile() failed");
    expect_error(HTTP(" server { listen 8080 default_server; }\n server { listen 8080 default_server; }\n"),
                 "t.conf:5: a duplicate default server for 0.0.0.0:8080");
    expect_error(HTTP(" server { return 200 $nosuchvar; }\n"), "unknown \"nosuchvar\" variable");
    expect_error(HTTP(" server { keepalive_timeout abc; }\n"), "t.conf:4:");
    expect_error(HTTP(" server { sendfile maybe; }\n"), "it must be \"on\" or \"off\"");
    expect_error(HTTP(" server { location /a { location /b {} } }\n"), "location \"/b\" is outside location \"/a\"");
    expect_error(HTTP(" server { location /a {} location /a {} }\n"), "duplicate location \"/a\"");
    expect_error(HTTP(" server { listen 99999; }\n"), "invalid address");
    expect_error(HTTP(" server { access_log /tmp/x.log nosuchformat; }\n"), "unknown log format \"nosuchformat\"");
    expect_error(HTTP(" server { return 444 \"text\"; }\n"), "takes no text");
    expect_error(HTTP(" server { drop_mode explode; }\n"), "drop_mode");
    expect_error(HTTP(" server { error_page 200 /x; }\n"), "must be between 300 and 599");
    expect_error(HTTP(" server { server { } }\n"), "\"server\" directive is not allowed here");
    expect_error("events { worker_connections; }\nhttp {}\n", "t.conf:1: invalid number of arguments");
    expect_error("events {}\n", "no \"http\" block");
    expect_error(HTTP(" log_format a '$x_unknown';\n"), "unknown \"x_unknown\" variable");
    expect_error(HTTP(" server { location = /x { location /x/y {} } }\n"), "cannot be inside the exact location");
}

static hs_srv_conf *server_for(hs_config *c, const char *host)
{
    return hs_http_find_server(&c->http->groups[0], hs_cstr(host), NULL);
}

static void test_server_names(void)
{
    hs_config *c = load(HTTP(" server { listen 8080; server_name first; }\n"
                             " server { listen 8080 default_server; server_name dflt; }\n"
                             " server { listen 8080; server_name *.example.com www.example.*; }\n"
                             " server { listen 8080; server_name *.a.example.com; }\n"
                             " server { listen 8080; server_name ~^(?<n>\\w+)\\.re\\.test$ \"\"; }\n"
                             " server { listen 8080; server_name exact.example.com; }\n"));
    CHECK(c != NULL);
    if (c == NULL) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_INT(c->http->ngroups, 1);
    CHECK_SLICE(server_for(c, "first")->name, "first");
    CHECK_SLICE(server_for(c, "unknown")->name, "dflt");
    CHECK_SLICE(server_for(c, "x.example.com")->name, "*.example.com");
    CHECK_SLICE(server_for(c, "b.a.example.com")->name, "*.a.example.com"); /* longest wildcard */
    CHECK_SLICE(server_for(c, "exact.example.com")->name, "exact.example.com"); /* exact first */
    CHECK_SLICE(server_for(c, "www.example.org")->name, "*.example.com"); /* trailing wildcard server */
    CHECK_SLICE(server_for(c, "abc.re.test")->names[0].name, "~^(?<n>\\w+)\\.re\\.test$");
    CHECK(server_for(c, "") == server_for(c, "abc.re.test")); /* "" is that server's too */
    hs_config_free(c);
}

static const char *loc_for(hs_config *c, const char *uri)
{
    hs_srv_conf *s = c->http->servers[0];
    static hs_req r;
    memset(&r, 0, sizeof(r));
    hs_loc_conf *l = hs_http_find_location(&r, s->loc, hs_cstr(uri));
    return l == s->loc ? "(server)" : l->name.p;
}

static void test_locations(void)
{
    hs_config *c = load(HTTP(" server {\n"
                             "  location = / { }\n"
                             "  location / { }\n"
                             "  location /documents/ { location /documents/deep/ { } location ~ \\.txt$ { } }\n"
                             "  location ^~ /images/ { }\n"
                             "  location ~* \\.(gif|jpg)$ { }\n"
                             "  location ~ ^/regex/ { }\n"
                             "  location /regex/plain/ { }\n"
                             "  location @named { }\n"
                             " }\n"));
    CHECK(c != NULL);
    if (c == NULL) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    /* nginx's documented examples */
    CHECK_STR(loc_for(c, "/"), "/");                                /* exact */
    CHECK(c->http->servers[0]->loc->children[0]->match == HS_LOC_EXACT);
    CHECK_STR(loc_for(c, "/index.html"), "/");                      /* prefix */
    CHECK_STR(loc_for(c, "/documents/document.html"), "/documents/");
    CHECK_STR(loc_for(c, "/images/1.gif"), "/images/");             /* ^~ stops regexes */
    CHECK_STR(loc_for(c, "/documents/1.jpg"), "\\.(gif|jpg)$");     /* regex beats prefix */
    CHECK_STR(loc_for(c, "/documents/1.JPG"), "\\.(gif|jpg)$");     /* ~* is caseless */
    CHECK_STR(loc_for(c, "/documents/deep/a"), "/documents/deep/"); /* nested prefix */
    CHECK_STR(loc_for(c, "/documents/a.txt"), "\\.txt$");           /* nested regex */
    CHECK_STR(loc_for(c, "/regex/plain/x"), "^/regex/");            /* regex over a longer prefix */
    CHECK_STR(loc_for(c, "/@named"), "/");                          /* named ones never match URIs */
    hs_config_free(c);
}

static void test_inheritance(void)
{
    hs_config *c = load(HTTP(" keepalive_timeout 5s; client_max_body_size 2m; server_tokens off;\n"
                             " server { listen 8081; keepalive_timeout 7s; root /srv;\n"
                             "  location /a { client_max_body_size 0; }\n"
                             "  location /b { root /other; index x.html y.html; }\n"
                             " }\n"));
    CHECK(c != NULL);
    if (c == NULL) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    hs_srv_conf *s = c->http->servers[0];
    hs_loc_conf *a = s->loc->children[0], *b = s->loc->children[1];
    CHECK_INT(s->loc->keepalive_timeout, 7000);
    CHECK_INT(a->keepalive_timeout, 7000);
    CHECK_INT(a->client_max_body_size, 0);
    CHECK_INT(b->client_max_body_size, 2 * 1024 * 1024);
    CHECK_INT(b->server_tokens, 0);
    CHECK_SLICE(a->root.raw, "/srv");
    CHECK_SLICE(b->root.raw, "/other");
    CHECK_INT(hs_static_loc_of(b)->nindex, 2);
    CHECK_SLICE(hs_static_loc_of(a)->index[0].raw, "index.html");
    CHECK_INT(s->client_header_timeout, 60000);
    CHECK_INT(s->large_header_buffers_num, 4);
    CHECK_INT(c->worker_connections, 512);
    hs_config_free(c);
}

int main(void)
{
    if (mkdtemp(dir) == NULL)
        return 1;
    hs_modules_init();
    test_errors();
    test_server_names();
    test_locations();
    test_inheritance();
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    UNIT_MAIN_END();
}
