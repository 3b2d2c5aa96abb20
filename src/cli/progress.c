/* Progress bar; see progress.h. */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(struct progress *pr, bool want)
{
    memset(pr, 0, sizeof *pr);
    pr->enabled = want && isatty(STDERR_FILENO);
    pr->start_s = pr->last_draw_s = progress_now();
}

void progress_start_input(struct progress *pr)
{
    pr->start_s = pr->last_draw_s = progress_now();
    pr->last_pkts = 0;
}

void progress_update(struct progress *pr, double frac, uint64_t pkts, const char *name)
{
    if (!pr->enabled)
        return;
    double now = progress_now();
    if (now - pr->last_draw_s < 0.25)
        return;
    double rate = (double)(pkts - pr->last_pkts) / (now - pr->last_draw_s);
    const char *slash = strrchr(name, '/');
    if (slash && slash[1])
        name = slash + 1; /* the bar must fit a terminal line */
    pr->last_draw_s = now;
    pr->last_pkts = pkts;
    char bar[21];
    if (frac >= 0) {
        if (frac > 1)
            frac = 1;
        int filled = (int)(frac * 20);
        for (int i = 0; i < 20; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[20] = 0;
        double elapsed = now - pr->start_s;
        double eta = frac > 0.001 ? elapsed * (1 - frac) / frac : 0;
        fprintf(stderr, "\r[%s] %5.1f%% %.32s  %.0f pkts/s  ETA %d:%02d   ", bar, frac * 100,
                name, rate, (int)eta / 60, (int)eta % 60);
    } else {
        fprintf(stderr, "\r%.32s: %llu packets  %.0f pkts/s   ", name, (unsigned long long)pkts,
                rate);
    }
    fflush(stderr);
}

void progress_done(struct progress *pr)
{
    if (!pr->enabled)
        return;
    fprintf(stderr, "\r%*s\r", 79, "");
    fflush(stderr);
}
