/* Memory caps; see mem.h. */
#include "mem.h"

#include "log.h"
#include "mm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MEM_HUGE (2u << 20)
#define MEM_PAGE 4096u

void mem_cap_init(struct mem_cap *cap, const char *name, size_t limit)
{
    memset(cap, 0, sizeof *cap);
    cap->name = name;
    cap->limit = limit;
}

static uint64_t g_fault_at, g_fault_count;

void mem_fault_at(uint64_t n)
{
    g_fault_at = n;
    g_fault_count = 0;
}

uint64_t mem_fault_charges(void)
{
    return g_fault_count;
}

bool mem_cap_charge(struct mem_cap *cap, size_t n)
{
    g_fault_count++;
    if (MM_UNLIKELY(g_fault_at) && g_fault_count == g_fault_at) {
        cap->hits++;
        return false;
    }
    if (cap->limit && (n > cap->limit || cap->used > cap->limit - n)) {
        cap->hits++;
        return false;
    }
    cap->used += n;
    if (cap->used > cap->peak)
        cap->peak = cap->used;
    return true;
}

void mem_cap_release(struct mem_cap *cap, size_t n)
{
    cap->used = n > cap->used ? 0 : cap->used - n;
}

void *mem_cap_alloc(struct mem_cap *cap, size_t n)
{
    if (!mem_cap_charge(cap, n))
        return NULL;
    void *p = malloc(n ? n : 1);
    if (!p)
        mem_cap_release(cap, n);
    return p;
}

void *mem_cap_calloc(struct mem_cap *cap, size_t n)
{
    if (!mem_cap_charge(cap, n))
        return NULL;
    void *p = calloc(1, n ? n : 1);
    if (!p)
        mem_cap_release(cap, n);
    return p;
}

void mem_cap_free(struct mem_cap *cap, void *p, size_t n)
{
    if (!p)
        return;
    free(p);
    mem_cap_release(cap, n);
}

void *mem_map_huge_tail(size_t bytes, size_t head, struct mem_mapping *m)
{
    m->base = NULL;
    m->len = 0;
    if (bytes == 0)
        return NULL;
    size_t head_r = (head + MEM_PAGE - 1) & ~(size_t)(MEM_PAGE - 1);
    if (head_r >= bytes) {
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return NULL;
        m->base = p;
        m->len = bytes;
        return p;
    }
    size_t tail = (bytes - head_r + MEM_HUGE - 1) & ~(size_t)(MEM_HUGE - 1);
    size_t span = head_r + tail + MEM_HUGE; /* room to put the tail on a 2 MiB boundary */
    unsigned char *raw =
        mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    uintptr_t t = ((uintptr_t)raw + head_r + MEM_HUGE - 1) & ~(uintptr_t)(MEM_HUGE - 1);
    unsigned char *start = (unsigned char *)(t - head_r), *end = start + head_r + tail;
    if (start > raw)
        munmap(raw, (size_t)(start - raw));
    if (end < raw + span)
        munmap(end, (size_t)(raw + span - end));
#ifdef MADV_HUGEPAGE
    (void)madvise(start + head_r, tail, MADV_HUGEPAGE); /* advice only */
#endif
    m->base = start;
    m->len = head_r + tail;
    return start;
}

void mem_unmap(struct mem_mapping *m)
{
    if (m->base)
        munmap(m->base, m->len);
    m->base = NULL;
    m->len = 0;
}

void *mem_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        log_err("out of memory at startup (%zu x %zu bytes)", n, size);
        exit(1);
    }
    return p;
}

char *mem_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = mem_xcalloc(1, n);
    memcpy(d, s, n);
    return d;
}
