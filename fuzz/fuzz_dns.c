/*
 * Fuzz target: the DNS message decoder (src/app/dns.c). The input is one DNS message (a UDP
 * payload). It is copied into an exact-size heap buffer so ASan sees a one-byte over-read.
 *
 * Checked: the return code matches the length rule (MM_EINVAL only below 12 bytes), stored
 * counts never exceed the arrays, every stored string is NUL-terminated within its array,
 * truncation is flagged only on a full rdata text, and a section number is 1 or 2.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/dns.h"
#include "core/mm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void terminated(const char *s, size_t cap)
{
    if (!memchr(s, 0, cap))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dns_msg m;
    uint8_t *buf = calloc(1, size ? size : 1); /* calloc: gcc sees no uninitialised read at size 0 */
    if (!buf)
        abort();
    if (size)
        memcpy(buf, data, size);
    int rc = app_dns_parse(buf, size, &m);
    free(buf);
    if (rc != (size < 12 ? MM_EINVAL : MM_OK))
        abort();
    if (m.n_questions > DNS_MAX_QUESTIONS || m.n_rrs > DNS_MAX_RRS)
        abort();
    if (m.n_questions > m.qdcount || m.n_rrs > (unsigned)m.ancount + m.nscount)
        abort();
    for (unsigned i = 0; i < m.n_questions; i++)
        terminated(m.q[i].name, sizeof m.q[i].name);
    for (unsigned i = 0; i < m.n_rrs; i++) {
        const struct dns_rr *rr = &m.rr[i];
        terminated(rr->name, sizeof rr->name);
        terminated(rr->rdata, sizeof rr->rdata);
        if (rr->section != 1 && rr->section != 2)
            abort();
        if (rr->rdata_truncated && strlen(rr->rdata) + 64 < sizeof rr->rdata)
            abort();
    }
    if (m.rcode > 0xfff)
        abort();
    return 0;
}
