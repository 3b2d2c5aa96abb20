# HTTP parser oracle: requests (Host, URI, method) and response codes of every HTTP
# connection in the shared web_attacks/bruteforce captures, demo/demo.pcap and the checked-in
# captures, against tshark (tests/unit/app/oracle_http.py). Skips (77) without tshark or data.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND)
    add_test(NAME oracle_http
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/oracle_http.py
                     --mamori $<TARGET_FILE:mamori> --source-dir ${PROJECT_SOURCE_DIR}
                     --shared-data ${MM_SHARED_DATA})
    set_tests_properties(oracle_http PROPERTIES LABELS oracle TIMEOUT 900 SKIP_RETURN_CODE 77)
endif()
