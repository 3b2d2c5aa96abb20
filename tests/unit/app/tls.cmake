# TLS: oracle against tshark (SNI, JA3, JA3S, version, certificate fields per flow) over
# demo/demo.pcap and every capture of the shared data set; skipped (77) without tshark,
# openssl or captures.
if(Python3_FOUND)
    add_test(NAME oracle_tls
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/oracle_tls.py
                     --mamori $<TARGET_FILE:mamori> --source-dir ${PROJECT_SOURCE_DIR}
                     --shared-data ${MM_SHARED_DATA})
    set_tests_properties(oracle_tls PROPERTIES LABELS oracle TIMEOUT 900 SKIP_RETURN_CODE 77)
endif()
