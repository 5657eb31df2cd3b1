/* libFuzzer target: the configuration lexer and tree builder must turn any
 * input into either a tree or a "FILE:LINE: message" error, never a crash,
 * and never read past the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "conf/tree.h"

static size_t count_nodes(const hs_conf_node *n)
{
    size_t total = 1;
    for (size_t i = 0; i < n->nchildren; i++)
        total += count_nodes(&n->children[i]);
    return total;
}

/* libFuzzer's entry point; no header declares it (-Wmissing-prototypes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the parser takes a C string: stop at the first NUL like a file read would not,
     * but a NUL inside a config file is just another byte to reject or keep */
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    /* an include reads real files: no absolute or parent path (/proc/kmsg
     * blocks, /proc/kcore never ends; relative ones resolve under a
     * directory that does not exist). Devices and FIFOs are refused by the
     * parser itself (test_config: not a regular file). */
    if (memmem(text, size, "include", 7))
        for (size_t i = 0; i < size; i++)
            if (text[i] == '/')
                text[i] = '_';
    hs_pool *pool = hs_pool_create(4096);
    char err[512];
    err[0] = '\0';
    hs_conf_node *root = hs_conf_tree_parse_string(pool, text, "fuzz.conf", "/nonexistent-hush-fuzz", err,
                                                   sizeof(err));
    if (root == NULL) {
        /* every error names a file and a line ("FILE:LINE: message"); an
         * include may name another file than fuzz.conf */
        const char *colon = strstr(err, ": ");
        if (colon == NULL || colon == err || colon[-1] < '0' || colon[-1] > '9')
            abort();
    } else {
        (void)count_nodes(root);
    }
    hs_pool_destroy(pool);
    free(text);
    return 0;
}
