/* UTF-8 characters and invalid subparts (include/lmprob/core.h). */
#include "lmprob/core.h"

int lmp_utf8_char(const void *p, size_t n)
{
    const unsigned char *s = p;
    if (n == 0) return 0;
    unsigned b = s[0];
    if (b < 0x80) return 1;
    /* Table 3-7: the second byte's range depends on the first (no overlong forms,
     * no surrogates, nothing above U+10FFFF); later bytes are 80..BF. */
    unsigned lo = 0x80, hi = 0xBF;
    int len;
    if (b >= 0xC2 && b <= 0xDF) len = 2;
    else if (b == 0xE0) { len = 3; lo = 0xA0; }
    else if (b >= 0xE1 && b <= 0xEC) len = 3;
    else if (b == 0xED) { len = 3; hi = 0x9F; }
    else if (b >= 0xEE && b <= 0xEF) len = 3;
    else if (b == 0xF0) { len = 4; lo = 0x90; }
    else if (b >= 0xF1 && b <= 0xF3) len = 4;
    else if (b == 0xF4) { len = 4; hi = 0x8F; }
    else return -1;
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n) return -i;
        unsigned t = s[i];
        unsigned l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
        if (t < l || t > h) return -i;
    }
    return len;
}
