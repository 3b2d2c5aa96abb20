# Compiler warnings for all of our code (STYLE.md §7). MM_WERROR=ON turns them into errors (CI).
set(MM_WARNINGS
    -Wall -Wextra -Wshadow -Wconversion -Wsign-conversion -Wmissing-prototypes
    -Wstrict-prototypes -Wformat=2 -Wvla -Wpointer-arith -Wcast-qual -Wundef
    -Wwrite-strings -Wnull-dereference -Wimplicit-fallthrough)
if(MM_WERROR)
    list(APPEND MM_WARNINGS -Werror)
endif()
