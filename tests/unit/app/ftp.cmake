# FTP oracle: mamori's ftp events (commands, arguments except PASS, reply codes) against
# tshark on the shared FTP captures. Skipped (77) without tshark or the shared data.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND)
    add_test(NAME oracle_ftp
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/oracle_ftp.py
                     --mamori $<TARGET_FILE:mamori> --shared-data ${MM_SHARED_DATA})
    set_tests_properties(oracle_ftp PROPERTIES LABELS oracle TIMEOUT 600 SKIP_RETURN_CODE 77)
endif()
