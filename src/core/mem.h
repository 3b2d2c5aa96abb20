/*
 * Memory caps: every allocation driven by traffic is charged to a per-subsystem cap
 * (flows, defrag, later reassembly and app state). A refused charge is not fatal: the
 * caller evicts or drops and the refusal is counted in `hits`, which goes to stats.
 */
#ifndef MM_CORE_MEM_H
#define MM_CORE_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mem_cap {
    const char *name; /* subsystem, for stats and messages */
    size_t limit;     /* bytes; 0 = unlimited */
    size_t used;      /* bytes currently charged */
    size_t peak;      /* highest `used` seen */
    uint64_t hits;    /* charges refused because of `limit` */
};

void mem_cap_init(struct mem_cap *cap, const char *name, size_t limit);

/* Charge n bytes; false (and hits++) when the limit would be passed. */
bool mem_cap_charge(struct mem_cap *cap, size_t n);
/* Return n bytes previously charged. */
void mem_cap_release(struct mem_cap *cap, size_t n);

/* Charge then malloc/calloc; NULL when refused or when malloc fails (charge undone). */
void *mem_cap_alloc(struct mem_cap *cap, size_t n);
void *mem_cap_calloc(struct mem_cap *cap, size_t n);
/* Free memory from mem_cap_alloc; n must be the size it was allocated with. */
void mem_cap_free(struct mem_cap *cap, void *p, size_t n);

/*
 * Fault injection for tests (STYLE.md §6, "allocation failure"): after mem_fault_at(n), the
 * n-th following charge (1-based) is refused as if the memcap were full, exercising every
 * caller's refusal path; mem_fault_at(0) turns it off. Process-wide, not thread-safe; costs
 * one predictable branch per charge when off.
 */
void mem_fault_at(uint64_t n);
/* Charges counted since the last mem_fault_at() call. */
uint64_t mem_fault_charges(void);

/*
 * A zeroed anonymous mapping of `bytes` for a table that is filled from its start (slot 0
 * first): the first `head` bytes on ordinary 4 KiB pages, the rest on 2 MiB pages (aligned,
 * advised for transparent huge pages). A table that stays small costs only the 4 KiB pages
 * it touches; the lookups of a large one, which land anywhere in it, need one TLB entry per
 * 2 MiB instead of 512 (on a virtual machine each TLB miss is a nested page walk). The same
 * policy as the mm_lru tables' chunks. NULL when mapping fails; free with mem_unmap.
 */
struct mem_mapping {
    void *base;
    size_t len;
};
void *mem_map_huge_tail(size_t bytes, size_t head, struct mem_mapping *m);
void mem_unmap(struct mem_mapping *m);

/* Startup allocations: abort with a message on failure (only before traffic flows). */
void *mem_xcalloc(size_t n, size_t size);
char *mem_xstrdup(const char *s);

#endif
