# Use ccache when present. With precompiled headers ccache needs these sloppiness flags,
# otherwise every object is a cache miss.
find_program(GEN_CCACHE ccache)
if(GEN_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
      ${GEN_CCACHE})
  message(STATUS "ccache: ${GEN_CCACHE}")
endif()
