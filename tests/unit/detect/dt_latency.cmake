# T4 service-latency detector: unit tests through the detector host (hand-made sessions
# through a real flow table), plus replays of demo/demo.pcap and ../shared/data's captures.
mm_unit_test(test_dt_latency
    SOURCES test_dt_latency.c
    DEPS mm_detect mm_enrich mm_app mm_flow mm_capture mm_decode mm_core)
target_sources(test_dt_latency PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/../testlib/tcheck.c)
target_include_directories(test_dt_latency PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/..)
