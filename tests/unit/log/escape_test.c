/* src/log/format.c: log_format's default escape (nginx's: bytes below 0x20,
 * from 0x7f, '"' and '\\' as \xHH), whose clean start is found 8 bytes at a
 * time: every byte value at every position of values up to 40 bytes long
 * must come out as the byte-at-a-time rule says, in room and short of it. */
#include "log/format.h"

#include "unit.h"

static bool needs(unsigned char c) { return c < 0x20 || c >= 0x7f || c == '"' || c == '\\'; }

/* The rule, one byte at a time. */
static size_t reference(const unsigned char *v, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (needs(v[i]))
            k += (size_t)sprintf(out + k, "\\x%02X", v[i]);
        else
            out[k++] = (char)v[i];
    }
    return k;
}

static void test_every_byte_everywhere(void)
{
    unsigned char v[40];
    char want[200], got[200];
    int bad = 0;
    for (size_t len = 1; len <= sizeof(v); len++)
        for (size_t at = 0; at < len; at++)
            for (int b = 0; b < 256; b++) {
                memset(v, 'a' + (int)(len % 26), len);
                v[at] = (unsigned char)b;
                size_t wn = reference(v, len, want);
                memset(got, 0, sizeof(got));
                size_t gn = hs_log_escape_value(HS_ESCAPE_DEFAULT, (hs_str){(const char *)v, len}, got, sizeof(got));
                if (gn != wn || memcmp(got, want, wn) != 0)
                    bad++;
                /* short of room: the length is still told, nothing written past cap */
                char small[8];
                memset(small, '#', sizeof(small));
                size_t sn = hs_log_escape_value(HS_ESCAPE_DEFAULT, (hs_str){(const char *)v, len}, small, 4);
                if (sn != wn || memcmp(small + 4, "####", 4) != 0)
                    bad++;
            }
    CHECK_INT(bad, 0);
}

static void test_words_of_neighbours(void)
{
    /* bytes next to the limits in every lane of a word */
    static const unsigned char edge[] = {0x00, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7e, 0x7f, 0x80, 0xff};
    unsigned char v[16];
    char want[80], got[80];
    int bad = 0;
    for (size_t i = 0; i < sizeof(edge); i++)
        for (size_t j = 0; j < sizeof(edge); j++) {
            for (size_t k = 0; k < sizeof(v); k++)
                v[k] = edge[(i + j * k) % sizeof(edge)];
            size_t wn = reference(v, sizeof(v), want);
            size_t gn = hs_log_escape_value(HS_ESCAPE_DEFAULT, (hs_str){(const char *)v, sizeof(v)}, got, sizeof(got));
            if (gn != wn || memcmp(got, want, wn) != 0)
                bad++;
        }
    CHECK_INT(bad, 0);
    char out[64];
    size_t n = hs_log_escape_value(HS_ESCAPE_DEFAULT, hs_cstr("GET /a\"b HTTP/1.1"), out, sizeof(out));
    CHECK_SLICE(((hs_str){out, n}), "GET /a\\x22b HTTP/1.1");
}

int main(void)
{
    test_every_byte_everywhere();
    test_words_of_neighbours();
    UNIT_MAIN_END();
}
