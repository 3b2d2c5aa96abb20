/*
 * Benchmark baseline: the fastest a capture file can be read, with libpcap's own offline
 * reader and a loop that does nothing with the packets. mamori's full pipeline is compared
 * against this figure (docs/benchmarks.md). Not a test.
 *
 * usage: mm_bench_raw FILE [--mamori-reader]
 *   --mamori-reader  use mamori's capture reader (capture/) instead of libpcap's
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "capture/capture.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [--mamori-reader]\n", argv[0]);
        return 2;
    }
    int ours = argc > 2 && !strcmp(argv[2], "--mamori-reader");
    unsigned long long pkts = 0, bytes = 0, sum = 0;
    double t0 = now_s();
    if (ours) {
        char err[512];
        cap_source_t *s = cap_open_file(argv[1], err, sizeof err);
        if (!s) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        struct cap_pkt p;
        int r;
        while ((r = cap_next(s, &p)) == 1) {
            pkts++;
            bytes += p.caplen;
            sum += p.data[p.caplen / 2]; /* touch the packet as a consumer would */
        }
        cap_close(s);
    } else {
        char err[PCAP_ERRBUF_SIZE];
        pcap_t *pc = pcap_open_offline(argv[1], err);
        if (!pc) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        struct pcap_pkthdr *h;
        const u_char *d;
        while (pcap_next_ex(pc, &h, &d) == 1) {
            pkts++;
            bytes += h->caplen;
            sum += d[h->caplen / 2];
        }
        pcap_close(pc);
    }
    double secs = now_s() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%s: %llu packets, %llu bytes in %.3f s: %.0f pkts/s, %.3f Gbit/s, peak RSS %.1f MiB "
           "(checksum %llu)\n",
           ours ? "mamori-reader" : "libpcap-loop", pkts, bytes, secs, (double)pkts / secs,
           (double)bytes * 8 / secs / 1e9, (double)ru.ru_maxrss / 1024.0, sum & 0xff);
    return 0;
}
