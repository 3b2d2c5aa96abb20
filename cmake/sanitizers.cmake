# MM_SANITIZE=address,undefined builds everything with those sanitizers; UBSan findings abort
# so a test fails instead of printing a line nobody reads.
if(MM_SANITIZE)
    set(_san "-fsanitize=${MM_SANITIZE}" -fno-omit-frame-pointer -fno-sanitize-recover=all)
    add_compile_options(${_san})
    add_link_options(${_san})
endif()
# MM_FUZZ=ON: clang libFuzzer targets (with ASan+UBSan). Only the fuzz/ targets link the
# fuzzer main; libraries are built with coverage instrumentation.
if(MM_FUZZ)
    if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
        message(FATAL_ERROR "MM_FUZZ=ON needs clang (CC=clang)")
    endif()
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
endif()
