# T5 brute force / password spray detector (src/detect/dt_bruteforce.c).
mm_unit_test(test_dt_bruteforce SOURCES test_dt_bruteforce.c
             DEPS mm_detect mm_enrich mm_app mm_flow mm_core)
