# T2 port-scan detector: unit tests through the detector host, plus replays of the labelled
# captures (../shared/data) and demo/demo.pcap through decode + flow + detectors.
mm_unit_test(test_dt_portscan
    SOURCES test_dt_portscan.c ${CMAKE_CURRENT_SOURCE_DIR}/../testlib/pktbuild.c
    DEPS mm_detect mm_enrich mm_app mm_flow mm_capture mm_decode mm_core)
target_include_directories(test_dt_portscan PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/..)
