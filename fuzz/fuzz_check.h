/*
 * CHECK(x) for the fuzz targets: a broken invariant stops the run at once as a crash, which
 * libFuzzer saves as a crasher (and the replay in the unit suite reports).
 */
#ifndef MM_FUZZ_CHECK_H
#define MM_FUZZ_CHECK_H

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x))                                                                                  \
            __builtin_trap();                                                                      \
    } while (0)

#endif
