/* Matches one pattern against one text with libregexp and prints every
   match's capture positions, for tools/regexp-diff.sh: the same program
   built against two versions of libregexp must print the same.

       driver PATTERN FLAGS TEXT
   FLAGS: libregexp's flag bits (LRE_FLAG_*); TEXT: UTF-16 code units in
   hex separated by commas ("61,d83d,de00"). With the global flag every
   match is printed, as String.prototype.matchAll steps (an empty match
   moves one unit on); otherwise the first. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "libregexp.h"

int lre_check_timeout(void *opaque) { return 0; }
bool lre_check_stack_overflow(void *opaque, size_t alloca_size) { return false; }
void *lre_realloc(void *opaque, void *ptr, size_t size)
{
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

int main(int argc, char **argv)
{
    static uint16_t u16[4096];
    static uint8_t u8[4096];
    char error[64], *p;
    int len, flags, n = 0, wide = 0, index = 0, steps = 0, captures, i, ret;
    uint8_t *bc, **capture;
    const uint8_t *text;

    if (argc != 4) {
        fprintf(stderr, "usage: %s PATTERN FLAGS TEXT\n", argv[0]);
        return 2;
    }
    flags = atoi(argv[2]);
    bc = lre_compile(&len, error, sizeof error, argv[1], strlen(argv[1]), flags, NULL);
    if (!bc) {
        printf("error %s\n", error);
        return 0;
    }
    for (p = argv[3]; *p && n < 4096;) {
        unsigned v = strtoul(p, &p, 16);
        u16[n] = v;
        u8[n] = v;
        wide |= v > 0xff;
        n++;
        if (*p == ',')
            p++;
    }
    text = wide ? (const uint8_t *)u16 : u8;
    captures = lre_get_capture_count(bc);
    capture = malloc(sizeof(capture[0]) * (lre_get_alloc_count(bc) + 1));
    while (index <= n && steps++ < 5000) {
        ret = lre_exec(capture, bc, text, index, n, wide, NULL);
        if (ret != 1) {
            printf("ret %d\n", ret);
            break;
        }
        for (i = 0; i < 2 * captures; i++)
            printf("%ld ", capture[i] ? (long)((capture[i] - text) >> wide) : -1L);
        printf("\n");
        {
            int start = (capture[0] - text) >> wide, end = (capture[1] - text) >> wide;
            index = end > start ? end : end + 1;
        }
        if (!(flags & 1))
            break;
    }
    free(capture);
    free(bc);
    return 0;
}
