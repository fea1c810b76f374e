# Warnings for our own targets only (linked PRIVATE), never for third-party headers.
add_library(gen_warnings INTERFACE)
target_compile_options(gen_warnings INTERFACE -Wall -Wextra -Wpedantic
                       $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local> $<$<CXX_COMPILER_ID:Clang>:-Wshadow-uncaptured-local>
                       $<$<BOOL:${GEN_WARNINGS_AS_ERRORS}>:-Werror>)
