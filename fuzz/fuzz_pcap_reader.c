/*
 * libFuzzer target for the capture file readers (pcap and pcapng): the input is written to a
 * memory file, opened with cap_open_file() and read to the end twice, once plain and once
 * with the BPF filter "tcp" (which exercises the per-link-type filter cache with whatever
 * link types the input declares). The unit test tests/unit/capture/test_corpus.c calls
 * LLVMFuzzerTestOneInput() directly to replay the seed corpus and saved crashers.
 */
#include "capture/capture.h"
#include "core/mm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_all(const char *path, const char *filter)
{
    char err[256];
    cap_source_t *s = cap_open_file(path, err, sizeof err);
    if (s == NULL)
        return;
    if (filter != NULL && cap_set_filter(s, filter, err, sizeof err) != 0) {
        cap_close(s);
        return;
    }
    (void)cap_linktype(s);
    (void)cap_progress(s);
    struct cap_pkt p;
    volatile uint8_t sink = 0;
    while (cap_next(s, &p) == 1) {
        /* Touch the first and last byte so ASan checks the whole claimed range is ours. */
        if (p.caplen > 0)
            sink = (uint8_t)(sink ^ p.data[0] ^ p.data[p.caplen - 1]);
    }
    (void)cap_error(s);
    struct cap_stats st;
    cap_get_stats(s, &st);
    cap_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exact-size heap copy, as for every target (STYLE.md §6). */
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL)
        return 0;
    if (size > 0)
        memcpy(copy, data, size);

    int fd = memfd_create("fuzz_pcap_reader", MFD_CLOEXEC);
    if (fd < 0) {
        free(copy);
        return 0;
    }
    size_t done = 0;
    while (done < size) {
        ssize_t k = write(fd, copy + done, size - done);
        if (k <= 0)
            break;
        done += (size_t)k;
    }
    free(copy);
    if (done == size) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        read_all(path, NULL);
        read_all(path, "tcp");
    }
    close(fd);
    return 0;
}
