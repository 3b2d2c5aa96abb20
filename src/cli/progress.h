/*
 * A one-line progress bar on stderr for file input (percent, packets/s, ETA), redrawn at
 * most four times a second and only when stderr is a terminal.
 */
#ifndef MM_CLI_PROGRESS_H
#define MM_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
    bool enabled;
    double start_s, last_draw_s;
    uint64_t last_pkts;
};

void progress_init(struct progress *pr, bool want);
/* A new input starts: rate and ETA are measured from here (packet counts restart at 0). */
void progress_start_input(struct progress *pr);
/* frac: 0..1 of the current input, or negative when unknown. */
void progress_update(struct progress *pr, double frac, uint64_t pkts, const char *name);
/* Clear the bar line. */
void progress_done(struct progress *pr);

/* Monotonic seconds. */
double progress_now(void);

#endif
