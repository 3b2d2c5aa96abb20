# T6 malicious attachments: the content scanner (src/detect/zipscan.c) on archives, Office
# files and executables built in the test, and the detector (src/detect/dt_attachment.c)
# through the detector host with file and HTTP records.
mm_unit_test(test_dt_attachment SOURCES test_dt_attachment.c
             DEPS mm_detect mm_enrich mm_app mm_flow mm_core)
target_sources(test_dt_attachment PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/../testlib/tcheck.c)
target_include_directories(test_dt_attachment PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/..)
# The parsers of active content in documents (src/detect/docscan.c) on their own.
mm_unit_test(test_docscan SOURCES test_docscan.c DEPS mm_detect mm_core)
target_sources(test_docscan PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/../testlib/tcheck.c)
target_include_directories(test_docscan PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/..)
# Archive passwords in a message's text (src/detect/archive_pw.c) on their own.
mm_unit_test(test_archive_pw SOURCES test_archive_pw.c DEPS mm_detect mm_core)
target_sources(test_archive_pw PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/../testlib/tcheck.c)
target_include_directories(test_archive_pw PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/..)
# DDE fields and links in documents (src/detect/docscan_dde.c) on their own.
mm_unit_test(test_docscan_dde SOURCES test_docscan_dde.c DEPS mm_detect mm_core)
target_sources(test_docscan_dde PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/../testlib/tcheck.c)
target_include_directories(test_docscan_dde PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/..)
