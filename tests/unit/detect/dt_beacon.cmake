# Beaconing detector (T1).
mm_unit_test(test_dt_beacon SOURCES test_dt_beacon.c ../testlib/tcheck.c
             DEPS mm_detect mm_enrich mm_app mm_flow mm_core m)
target_include_directories(test_dt_beacon PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/..)
