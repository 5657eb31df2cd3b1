/* The configuration lexer and tree: tokens, quoting, blocks, includes, errors
 * with file and line. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/tree.h"
#include "unit.h"

static char err[512];

static hs_conf_node *parse(hs_pool *p, const char *text)
{
    err[0] = '\0';
    return hs_conf_tree_parse_string(p, text, "t.conf", "/nonexistent", err, sizeof(err));
}

static void test_basic(hs_pool *p)
{
    hs_conf_node *root = parse(p, "worker_processes 2;\n# comment\nhttp {\n  server { listen 80; }\n}\n");
    CHECK(root != NULL);
    CHECK_INT(root->nchildren, 2);
    CHECK_SLICE(root->children[0].args[0], "worker_processes");
    CHECK_SLICE(root->children[0].args[1], "2");
    CHECK_INT(root->children[0].line, 1);
    hs_conf_node *http = &root->children[1];
    CHECK(http->block);
    CHECK_INT(http->line, 3);
    CHECK_INT(http->nchildren, 1);
    CHECK_SLICE(http->children[0].children[0].args[1], "80");
    CHECK_INT(http->children[0].children[0].line, 4);
}

static void test_quotes(hs_pool *p)
{
    hs_conf_node *root = parse(p, "a \"x y\" 'q\\'s' \"t\\\"u\" \"semi;{}\" \"\";");
    CHECK(root != NULL);
    hs_conf_node *n = &root->children[0];
    CHECK_INT(n->nargs, 6);
    CHECK_SLICE(n->args[1], "x y");
    CHECK_SLICE(n->args[2], "q's");
    CHECK_SLICE(n->args[3], "t\"u");
    CHECK_SLICE(n->args[4], "semi;{}");
    CHECK_SLICE(n->args[5], "");
    /* regex backslashes survive inside quotes */
    root = parse(p, "location ~ \"\\.php$\" {}");
    CHECK(root != NULL);
    CHECK_SLICE(root->children[0].args[2], "\\.php$");
    /* ${var} inside a bare word is not a block */
    root = parse(p, "return 200 ${uri}x;");
    CHECK(root != NULL);
    CHECK_SLICE(root->children[0].args[2], "${uri}x");
    /* multi-line quoted string keeps line numbers right afterwards */
    root = parse(p, "a \"1\n2\";\nb;");
    CHECK(root != NULL);
    CHECK_INT(root->children[1].line, 3);
}

static void test_errors(hs_pool *p)
{
    CHECK(parse(p, "http {\n server {\n") == NULL);
    CHECK(strstr(err, "t.conf:") && strstr(err, "unexpected end of file"));
    CHECK(parse(p, "a b\n") == NULL);
    CHECK(strstr(err, "expecting \";\""));
    CHECK(parse(p, "a;\n}\n") == NULL);
    CHECK(strstr(err, "t.conf:2: unexpected \"}\"") != NULL);
    CHECK(parse(p, "a \"unterminated;\n") == NULL);
    CHECK(strstr(err, "t.conf:1:") != NULL);
    CHECK(parse(p, ";") == NULL);
    CHECK(parse(p, "a \"x\"y;") == NULL);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_include(hs_pool *p)
{
    char dir[] = "/tmp/hush-tree-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof(path), "%s/sites", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/sites/a.conf", dir);
    write_file(path, "one 1;\n");
    snprintf(path, sizeof(path), "%s/sites/b.conf", dir);
    write_file(path, "two 2;\nbroken\n");
    snprintf(path, sizeof(path), "%s/main.conf", dir);
    write_file(path, "http {\n include sites/a.conf;\n include none/*.conf;\n}\n");
    hs_conf_node *root = hs_conf_tree_load(p, path, dir, err, sizeof(err));
    CHECK(root != NULL);
    if (root) {
        CHECK_INT(root->children[0].nchildren, 1);
        CHECK_SLICE(root->children[0].children[0].args[0], "one");
        CHECK(strstr(root->children[0].children[0].file, "a.conf") != NULL);
    }
    write_file(path, "include sites/*.conf;\n");
    root = hs_conf_tree_load(p, path, dir, err, sizeof(err));
    CHECK(root == NULL);
    CHECK(strstr(err, "b.conf:3:") != NULL); /* the error names the included file */
    write_file(path, "include missing.conf;\n");
    CHECK(hs_conf_tree_load(p, path, dir, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "main.conf:1:") != NULL);
    write_file(path, "include main.conf;\n"); /* a loop */
    CHECK(hs_conf_tree_load(p, path, dir, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "too deeply") != NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    hs_pool *p = hs_pool_create(4096);
    test_basic(p);
    test_quotes(p);
    test_errors(p);
    test_include(p);
    hs_pool_destroy(p);
    UNIT_MAIN_END();
}
