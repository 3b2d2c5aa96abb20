/*
 * Allocation-failure torture (STYLE.md §6): every capture under tests/pcap (except the
 * detectors' dt_* cases: 2.8 MB of traffic shapes, not of decoder or flow-table paths, that
 * would multiply the run time by ten), and the demo capture, is run through
 * the decoder (with fragment reassembly) and the flow table again and again, with the n-th
 * memory charge refused (core/mem.h mem_fault_at), for every n up to the number of charges a
 * clean run makes. Whatever is refused, nothing may crash or leak (the sanitizer build runs
 * this too), every flow created must end exactly once, and memory stays within the caps.
 */
#include "capture/capture.h"
#include "core/mem.h"
#include "decode/decode.h"
#include "flow/flow.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct pkt {
    uint8_t *data;
    uint32_t caplen, wirelen;
    uint64_t ts_ns;
    int linktype;
};

static struct pkt *g_pkts;
static size_t g_n, g_cap;

static void load_file(const char *path)
{
    char err[512];
    cap_source_t *s = cap_open_file(path, err, sizeof err);
    if (!s)
        return; /* not a capture (README, expect.yaml) */
    struct cap_pkt cp;
    while (cap_next(s, &cp) == 1) {
        if (g_n == g_cap) {
            g_cap = g_cap ? 2 * g_cap : 256;
            g_pkts = realloc(g_pkts, g_cap * sizeof *g_pkts);
            assert_non_null(g_pkts);
        }
        struct pkt *p = &g_pkts[g_n++];
        p->data = malloc(cp.caplen ? cp.caplen : 1);
        assert_non_null(p->data);
        memcpy(p->data, cp.data, cp.caplen);
        p->caplen = cp.caplen;
        p->wirelen = cp.wirelen;
        p->ts_ns = cp.ts_ns;
        p->linktype = cp.linktype;
    }
    cap_close(s);
}

static int setup(void **state)
{
    (void)state;
    const char *root = MM_SOURCE_DIR "/tests/pcap";
    DIR *d = opendir(root);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !strncmp(e->d_name, "dt_", 3))
            continue;
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
        DIR *cd = opendir(dir);
        if (!cd)
            continue;
        struct dirent *f;
        while ((f = readdir(cd))) {
            if (strstr(f->d_name, ".pcap")) {
                char path[2048];
                snprintf(path, sizeof path, "%s/%s", dir, f->d_name);
                load_file(path);
            }
        }
        closedir(cd);
    }
    closedir(d);
    load_file(MM_SOURCE_DIR "/demo/demo.pcap"); /* 10k packets of office traffic and attacks */
    return g_n > 100 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < g_n; i++)
        free(g_pkts[i].data);
    free(g_pkts);
    return 0;
}

struct run_result {
    uint64_t created, ended, charges;
};

static uint64_t g_ended;

static void on_end(const struct flow *f, enum flow_end_reason reason, void *user)
{
    (void)f;
    (void)reason;
    (void)user;
    g_ended++;
}

/* One pass over all packets with the n-th charge refused (0: none). */
static struct run_result run_all(uint64_t fail_at)
{
    struct dec_config dc;
    dec_config_defaults(&dc);
    dc.defrag_memcap_bytes = 8 * 1024; /* small: refusals and evictions on real fragments */
    struct flow_config fc;
    flow_config_defaults(&fc);
    fc.memcap_bytes = 64 * 1024; /* small slabs: many charges */
    struct run_result r = {0};
    g_ended = 0;
    mem_fault_at(0);
    dec_ctx_t *dec = dec_ctx_new(&dc);
    flow_table_t *ft = flow_table_new(&fc, on_end, NULL);
    assert_non_null(dec);
    assert_non_null(ft);
    mem_fault_at(fail_at);
    for (size_t i = 0; i < g_n; i++) {
        struct packet p;
        memset(&p, 0, sizeof p);
        p.data = g_pkts[i].data;
        p.caplen = g_pkts[i].caplen;
        p.wirelen = g_pkts[i].wirelen;
        p.ts_ns = g_pkts[i].ts_ns;
        p.linktype = g_pkts[i].linktype;
        p.pkt_no = i + 1;
        dec_packet(dec, &p);
        enum flow_dir dir;
        (void)flow_handle_packet(ft, &p, &dir);
    }
    r.charges = mem_fault_charges();
    mem_fault_at(0);
    flow_end_all(ft, FLOW_END_SHUTDOWN);
    struct flow_stats st;
    flow_get_stats(ft, &st);
    r.created = st.created;
    r.ended = g_ended;
    assert_true(st.memuse <= st.memcap);
    size_t used, limit;
    uint64_t hits;
    dec_defrag_mem(dec, &used, &limit, &hits);
    flow_table_free(ft);
    dec_ctx_free(dec);
    assert_true(used <= limit);
    return r;
}

static void test_flow_torture_every_charge(void **state)
{
    (void)state;
    struct run_result clean = run_all(0);
    assert_true(clean.created > 10);
    assert_int_equal(clean.ended, clean.created);
    uint64_t n_charges = clean.charges;
    assert_true(n_charges > 5);
    for (uint64_t n = 1; n <= n_charges + 1; n++) {
        struct run_result r = run_all(n);
        if (r.ended != r.created)
            fail_msg("charge %llu refused: %llu flows created, %llu ended",
                     (unsigned long long)n, (unsigned long long)r.created,
                     (unsigned long long)r.ended);
    }
    printf("torture: %zu packets, %llu charges in a clean run, each refused once\n", g_n,
           (unsigned long long)n_charges);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_torture_every_charge),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
