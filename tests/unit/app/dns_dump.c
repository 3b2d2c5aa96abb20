/*
 * Oracle helper for oracle_dns.py: reads lines "<key> <hex payload>" on stdin, decodes each
 * payload with app_dns_parse and prints one tab-separated line per input:
 *   key  rc  events(hex)  qnames  A-rdata  AAAA-rdata  CNAME-rdata
 * where each list is comma-separated (answer and authority records, in order; tshark's
 * dns.a / dns.aaaa / dns.cname fields).
 */
#include "app/dns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void list(const struct dns_msg *m, uint16_t type)
{
    int first = 1;
    putchar('\t');
    for (unsigned i = 0; i < m->n_rrs; i++) {
        if (m->rr[i].type != type)
            continue;
        printf("%s%s", first ? "" : ",", m->rr[i].rdata);
        first = 0;
    }
}

int main(void)
{
    static char line[200000];
    static uint8_t buf[100000];
    static struct dns_msg m;
    while (fgets(line, sizeof line, stdin)) {
        char *sp = strchr(line, ' ');
        if (!sp)
            continue;
        *sp = '\0';
        size_t n = 0;
        for (const char *h = sp + 1; hexval(h[0]) >= 0 && hexval(h[1]) >= 0 && n < sizeof buf;
             h += 2)
            buf[n++] = (uint8_t)(hexval(h[0]) << 4 | hexval(h[1]));
        int rc = app_dns_parse(buf, n, &m);
        printf("%s\t%d\t%x\t", line, rc, m.events);
        for (unsigned i = 0; i < m.n_questions; i++)
            printf("%s%s", i ? "," : "", m.q[i].name);
        list(&m, 1);
        list(&m, 28);
        list(&m, 5);
        putchar('\n');
    }
    return 0;
}
