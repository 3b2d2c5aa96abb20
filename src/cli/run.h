/*
 * The packet loop: capture -> decode -> flow -> output, for files (in order, as one
 * continuous timeline) or a live interface, until the input ends, --count/--duration is
 * reached or a signal asks to stop. Everything already produced is flushed on every path.
 */
#ifndef MM_CLI_RUN_H
#define MM_CLI_RUN_H

#include "config.h"

/* Exit statuses (documented in --help and the README). */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_ERROR = 1,   /* could not run: input or output unusable */
    CLI_EXIT_USAGE = 2,   /* bad command line or configuration */
    CLI_EXIT_PARTIAL = 3, /* an input was truncated or corrupt: results up to the damage */
};

/* Ask a running cli_run to stop / reopen its output (async-signal-safe). */
void cli_request_stop(void);
void cli_request_reopen(void);

int cli_run(const struct cli_config *cfg);

#endif
