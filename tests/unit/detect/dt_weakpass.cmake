# Weak-password detector (T7) and its password checker.
mm_unit_test(test_dt_weakpass SOURCES test_dt_weakpass.c ../testlib/tcheck.c
             DEPS mm_detect mm_enrich mm_app mm_flow mm_core)
target_include_directories(test_dt_weakpass PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/..)
# Japanese names in romaji for the checker's "name" rule.
mm_unit_test(test_pwnames SOURCES test_pwnames.c DEPS mm_detect mm_core)
