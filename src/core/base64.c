/* Base64 decoding: 6 bits a character, the output every full byte. */
#include "core/base64.h"

static int value_of(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int hs_base64_decode(hs_str in, unsigned char *out, size_t *n)
{
    size_t len = 0;
    while (len < in.n && in.p[len] != '=')
        len++;
    if (len % 4 == 1)
        return HS_ERROR;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int v = value_of((unsigned char)in.p[i]);
        if (v < 0)
            return HS_ERROR;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    *n = o;
    return HS_OK;
}
