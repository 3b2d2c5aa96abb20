/*
 * core/mem.c: the memcap accounting (charge, refuse and count, release, peak) and
 * mem_map_huge_tail (the head on 4 KiB pages, the tail starting on a 2 MiB boundary, all of it
 * zeroed and writable, and a mapping that fits in the head staying plain).
 */
#include "core/mem.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_cap(void **state)
{
    (void)state;
    struct mem_cap c;
    mem_cap_init(&c, "test", 100);
    assert_true(mem_cap_charge(&c, 60));
    assert_false(mem_cap_charge(&c, 41)); /* 101 > 100: refused and counted */
    assert_int_equal(c.hits, 1);
    assert_true(mem_cap_charge(&c, 40));
    assert_int_equal(c.used, 100);
    mem_cap_release(&c, 70);
    assert_int_equal(c.used, 30);
    assert_int_equal(c.peak, 100);
    void *p = mem_cap_alloc(&c, 71);
    assert_null(p);
    assert_int_equal(c.hits, 2);
    p = mem_cap_calloc(&c, 70);
    assert_non_null(p);
    assert_int_equal(c.used, 100);
    mem_cap_free(&c, p, 70);
    assert_int_equal(c.used, 30);
}

static bool all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 4096)
        if (p[i])
            return false;
    return p[n - 1] == 0;
}

static void test_map_huge_tail(void **state)
{
    (void)state;
    const size_t mib = 1u << 20, head = 256u << 10;
    struct mem_mapping m;
    /* 4 MiB with a 256 KiB head: the tail starts on a 2 MiB boundary. */
    unsigned char *p = mem_map_huge_tail(4 * mib, head, &m);
    assert_non_null(p);
    assert_ptr_equal(m.base, p);
    assert_true(m.len >= 4 * mib);
    assert_int_equal(((uintptr_t)p + head) % (2 * mib), 0);
    assert_true(all_zero(p, 4 * mib));
    memset(p, 0xab, 4 * mib); /* every byte asked for is writable */
    assert_int_equal(p[4 * mib - 1], 0xab);
    mem_unmap(&m);
    assert_null(m.base);
    mem_unmap(&m); /* twice is harmless */

    /* An odd size and head: rounded to whole pages, the tail still aligned. */
    p = mem_map_huge_tail(3 * mib + 17, 5000, &m);
    assert_non_null(p);
    assert_int_equal(((uintptr_t)p + 8192) % (2 * mib), 0);
    p[3 * mib + 16] = 1;
    mem_unmap(&m);

    /* All of it inside the head: a plain mapping of that size. */
    p = mem_map_huge_tail(100000, head, &m);
    assert_non_null(p);
    assert_int_equal(m.len, 100000);
    assert_true(all_zero(p, 100000));
    mem_unmap(&m);

    assert_null(mem_map_huge_tail(0, head, &m));
    assert_null(m.base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_map_huge_tail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
