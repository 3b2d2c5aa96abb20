# SMTP oracle: MAIL FROM / RCPT TO per connection and attachment SHA-256 of the shared email
# captures and demo/demo.pcap against tshark (and Python's email module). Skips (77) without
# tshark or captures.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND)
    add_test(NAME oracle_smtp
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/oracle_smtp.py
                     --mamori $<TARGET_FILE:mamori> --source-dir ${PROJECT_SOURCE_DIR}
                     --shared-data ${MM_SHARED_DATA})
    set_tests_properties(oracle_smtp PROPERTIES LABELS oracle TIMEOUT 600 SKIP_RETURN_CODE 77)
endif()
