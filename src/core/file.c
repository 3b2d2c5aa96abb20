/* Whole small files in memory; see file.h. */
#include "core/file.h"

#include "core/mm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mm_read_file(const char *path, const char *what, size_t max_bytes, char **out, size_t *len,
                 char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s %s: %s", what, path, strerror(errno));
        return MM_EIO;
    }
    /* The buffer grows to max_bytes + 1 at most: a file of exactly max_bytes is read, one
     * byte more is refused. */
    size_t cap = MM_MIN((size_t)64 * 1024, max_bytes + 1), n = 0;
    char *buf = malloc(cap);
    int rc = buf ? 0 : MM_ENOMEM;
    while (!rc) {
        if (n == cap) {
            if (n > max_bytes) {
                snprintf(err, errlen, "%s %s is larger than %zu bytes", what, path, max_bytes);
                rc = MM_EIO;
                break;
            }
            size_t ncap = cap > max_bytes / 2 ? max_bytes + 1 : cap * 2;
            char *b = realloc(buf, ncap);
            if (!b) {
                rc = MM_ENOMEM;
                break;
            }
            buf = b;
            cap = ncap;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) {
                snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
                rc = MM_EIO;
            }
            break;
        }
    }
    fclose(f);
    if (rc == MM_ENOMEM)
        snprintf(err, errlen, "out of memory reading %s", path);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = n;
    return 0;
}
