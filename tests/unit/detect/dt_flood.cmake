# T4 flood detector: unit tests through the detector host (hand-made packets through a real
# flow table), plus replays of ../shared/data's labelled captures and demo/demo.pcap.
mm_unit_test(test_dt_flood
    SOURCES test_dt_flood.c
    DEPS mm_detect mm_enrich mm_app mm_flow mm_capture mm_decode mm_core)
target_include_directories(test_dt_flood PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/..)
