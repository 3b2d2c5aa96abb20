/*
 * Logging to stderr for operators: one line per message, prefixed "mamori: " and the level.
 * Verbosity is process-wide and set once at startup by the CLI. Not for per-packet use:
 * per-packet problems are anomalies (counted), not log lines.
 */
#ifndef MM_CORE_LOG_H
#define MM_CORE_LOG_H

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN = 1, LOG_LVL_INFO = 2, LOG_LVL_DEBUG = 3 };

/* Set the highest level printed (default LOG_LVL_WARN). Not thread-safe: call at startup. */
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
