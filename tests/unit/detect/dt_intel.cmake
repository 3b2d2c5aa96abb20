# T1 threat-intel matching: the list loader and radix trees (intel_list.c) and the detector
# (dt_intel.c); the real list files of ../shared/data/intel are loaded when present.
mm_unit_test(test_dt_intel SOURCES test_dt_intel.c ../testlib/tcheck.c
             DEPS mm_detect mm_enrich mm_app mm_flow mm_core)
target_include_directories(test_dt_intel PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/..)
