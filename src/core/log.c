/* Operator log lines on stderr; see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static enum log_level g_level = LOG_LVL_WARN;

void log_set_level(enum log_level lvl)
{
    g_level = lvl;
}

enum log_level log_get_level(void)
{
    return g_level;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (lvl > g_level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "mamori: %s: %s\n", names[lvl], line);
}
