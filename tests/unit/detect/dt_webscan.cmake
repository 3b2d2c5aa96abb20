# T3 web-scan behaviour detector (src/detect/dt_webscan.c).
mm_unit_test(test_dt_webscan SOURCES test_dt_webscan.c
             DEPS mm_detect mm_enrich mm_app mm_flow mm_core)
