#include "core/varname.h"

size_t hs_varname_scan(hs_str text, hs_str *name)
{
    if (text.n < 2 || text.p[0] != '$')
        return 0;
    if (text.p[1] == '{') {
        size_t i = 2;
        while (i < text.n && hs_varname_char(text.p[i]))
            i++;
        if (i == 2 || i >= text.n || text.p[i] != '}')
            return 0;
        *name = (hs_str){text.p + 2, i - 2};
        return i + 1;
    }
    if (text.p[1] >= '1' && text.p[1] <= '9') {
        /* $1..$9 are one digit long, as in nginx */
        *name = (hs_str){text.p + 1, 1};
        return 2;
    }
    size_t i = 1;
    while (i < text.n && hs_varname_char(text.p[i]))
        i++;
    if (i == 1)
        return 0;
    *name = (hs_str){text.p + 1, i - 1};
    return i;
}
