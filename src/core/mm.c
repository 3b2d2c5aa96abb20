/* Error texts and the assertion handler; see mm.h. */
#include "mm.h"

#include <stdio.h>
#include <stdlib.h>

const char *mm_strerror(int err)
{
    switch (err) {
    case MM_OK: return "success";
    case MM_ENOMEM: return "out of memory";
    case MM_ELIMIT: return "limit reached";
    case MM_EINVAL: return "invalid argument";
    case MM_EIO: return "input/output error";
    case MM_EFORMAT: return "unknown or bad file format";
    case MM_ETRUNC: return "input truncated";
    case MM_EOF: return "end of input";
    case MM_EAGAIN: return "no data yet";
    default: return "unknown error";
    }
}

void mm_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "mamori: internal error: assertion '%s' failed at %s:%d\n", expr, file, line);
    abort();
}
