/*
 * Whole-file checks of the readers:
 *  - every .pcap/.pcapng under the shared development data (MM_SHARED_DIR, absent in a
 *    user's clone: then skipped with a message) is read side by side with libpcap's
 *    pcap_open_offline() + pcap_next_ex(), comparing each packet's lengths, timestamp and
 *    bytes, and how the file ends;
 *  - the fuzz seed corpus and every saved crasher in tests/fuzz-regress/pcap_reader are
 *    replayed through the fuzz target's LLVMFuzzerTestOneInput() (must not crash).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "capture/capture.h"
#include "core/mm.h"

#include <dirent.h>
#include <ftw.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned g_files, g_compared, g_ours_only;

static bool has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Read one file with both readers in lockstep. */
static void compare_with_libpcap(const char *path)
{
    char err[512];
    cap_source_t *s = cap_open_file(path, err, sizeof err);
    if (s == NULL)
        fail_msg("%s", err);
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *lp = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    g_files++;
    struct cap_pkt p;
    if (lp == NULL) {
        /* e.g. pcapng with mixed link types: we must still read it to a clean end */
        int rc;
        while ((rc = cap_next(s, &p)) == 1)
            ;
        if (rc != MM_EOF)
            fail_msg("%s (libpcap: %s): rc %d %s", path, ebuf, rc, cap_error(s));
        g_ours_only++;
        cap_close(s);
        return;
    }
    uint64_t n = 0;
    for (;;) {
        struct pcap_pkthdr *h;
        const u_char *d;
        int lrc = pcap_next_ex(lp, &h, &d);
        int rc = cap_next(s, &p);
        if (lrc != 1) {
            if (lrc == PCAP_ERROR_BREAK && rc != MM_EOF)
                fail_msg("%s: libpcap ends after %llu packets, we say %d %s", path,
                         (unsigned long long)n, rc, cap_error(s));
            if (lrc == PCAP_ERROR && (rc == 1 || rc == MM_EOF))
                fail_msg("%s: libpcap error after %llu packets (%s), we say %d", path,
                         (unsigned long long)n, pcap_geterr(lp), rc);
            break;
        }
        n++;
        if (rc != 1)
            fail_msg("%s: packet %llu: libpcap has one, we say %d %s", path, (unsigned long long)n,
                     rc, cap_error(s));
        uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
        if (p.caplen != h->caplen || p.wirelen != h->len || p.ts_ns != ts ||
            memcmp(p.data, d, p.caplen) != 0 || p.linktype != cap_linktype(s))
            fail_msg("%s: packet %llu differs: caplen %u/%u len %u/%u ts %llu/%llu", path,
                     (unsigned long long)n, p.caplen, h->caplen, p.wirelen, h->len,
                     (unsigned long long)p.ts_ns, (unsigned long long)ts);
    }
    struct cap_stats st;
    cap_get_stats(s, &st);
    assert_int_equal(st.pkts_read, n);
    g_compared++;
    pcap_close(lp);
    cap_close(s);
}

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_F && S_ISREG(st->st_mode) &&
        (has_suffix(path, ".pcap") || has_suffix(path, ".pcapng")))
        compare_with_libpcap(path);
    return 0;
}

static void test_shared_captures_match_libpcap(void **state)
{
    (void)state;
    struct stat st;
    if (stat(MM_SHARED_DIR "/pcaps", &st) != 0) {
        printf("skipped: shared data not present (%s)\n", MM_SHARED_DIR "/pcaps");
        skip();
    }
    assert_int_equal(nftw(MM_SHARED_DIR, visit, 16, FTW_PHYS), 0);
    printf("read %u captures: %u identical to libpcap's reading, %u libpcap cannot open\n", g_files,
           g_compared, g_ours_only);
    assert_true(g_files > 0);
}

/* Feed every file of dir to the fuzz target; returns the number of files. */
static unsigned replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (f == NULL)
            continue;
        uint8_t *buf = NULL;
        size_t len = 0, cap = 0;
        for (;;) {
            if (len == cap) {
                cap = cap ? cap * 2 : 4096;
                uint8_t *nb = realloc(buf, cap);
                assert_non_null(nb);
                buf = nb;
            }
            size_t k = fread(buf + len, 1, cap - len, f);
            if (k == 0)
                break;
            len += k;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        n++;
    }
    closedir(d);
    return n;
}

static void test_fuzz_corpus_and_regressions_replay(void **state)
{
    (void)state;
    unsigned seeds = replay_dir(MM_SOURCE_DIR "/fuzz/corpus/pcap_reader");
    unsigned crashers = replay_dir(MM_SOURCE_DIR "/tests/fuzz-regress/pcap_reader");
    printf("replayed %u seed files and %u saved fuzz inputs\n", seeds, crashers);
    assert_true(seeds > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_captures_match_libpcap),
        cmocka_unit_test(test_fuzz_corpus_and_regressions_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
