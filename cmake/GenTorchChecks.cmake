# Checks and fixes that a LibTorch other than the system's needs (a pip wheel, the official zip).

# 1. TorchConfig.cmake looks its libraries up with find_library, which searches the system's
#    folders before the LibTorch's own: with Debian's libtorch-dev installed beside a pip wheel,
#    CMAKE_PREFIX_PATH=<torch>/share/cmake links Debian's libtorch.so to the wheel's headers.
#    The prefix must be the LibTorch folder itself (the one holding lib/ and share/cmake/).
#    (Debian's own is /usr/lib/<multiarch>/libtorch.so under the prefix /usr.)
get_filename_component(_gen_torch_lib_real "${TORCH_LIBRARY}" REALPATH)
get_filename_component(_gen_torch_prefix_real "${TORCH_INSTALL_PREFIX}" REALPATH)
string(FIND "${_gen_torch_lib_real}" "${_gen_torch_prefix_real}/" _gen_torch_at)
if(NOT _gen_torch_at EQUAL 0)
  message(FATAL_ERROR "LibTorch's headers are from ${TORCH_INSTALL_PREFIX} but its library is "
          "${TORCH_LIBRARY}: point CMAKE_PREFIX_PATH at the LibTorch folder itself "
          "(for a pip torch: python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))'), "
          "not at its share/cmake, and configure a fresh build folder")
endif()

# GEN_TORCH_IS_SYSTEM: a LibTorch from the system's packages (Debian's libtorch-dev, under /usr),
# which the loader finds and a .deb can depend on; 0 for a pip wheel or an unpacked zip.
if(_gen_torch_prefix_real STREQUAL "/usr")
  set(GEN_TORCH_IS_SYSTEM 1)
else()
  set(GEN_TORCH_IS_SYSTEM 0)
endif()

# 2. The pip wheels ship fmt's headers (fmt 11/12) in <torch>/include, which comes before the
#    system's include folder on the command line; spdlog and libfmt.so here are fmt 9, and
#    compiling them against the wheel's fmt fails (or worse, links). A folder holding only a
#    link to the system's fmt/ goes first, so every #include <fmt/...> -- LibTorch's own few
#    too -- finds the fmt that is linked.
get_filename_component(_gen_torch_fmt "${TORCH_INSTALL_PREFIX}/include/fmt" REALPATH)
if(EXISTS "${_gen_torch_fmt}" AND NOT GEN_TORCH_IS_SYSTEM)  # Debian's: the system's fmt
  get_target_property(_gen_fmt_includes fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
  set(_gen_fmt_dir "")
  foreach(_dir IN LISTS _gen_fmt_includes CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
    if(NOT _gen_fmt_dir AND EXISTS "${_dir}/fmt/format.h" AND NOT _dir MATCHES "^${TORCH_INSTALL_PREFIX}")
      set(_gen_fmt_dir "${_dir}/fmt")
    endif()
  endforeach()
  if(NOT _gen_fmt_dir)
    message(FATAL_ERROR "LibTorch ${TORCH_INSTALL_PREFIX} ships fmt headers and the fmt found "
            "(${fmt_DIR}) has no include folder to put before them")
  endif()
  set(GEN_FMT_SHADOW_DIR "${CMAKE_BINARY_DIR}/fmt-before-torch")
  file(MAKE_DIRECTORY "${GEN_FMT_SHADOW_DIR}")
  file(CREATE_LINK "${_gen_fmt_dir}" "${GEN_FMT_SHADOW_DIR}/fmt" SYMBOLIC)
  include_directories(BEFORE SYSTEM "${GEN_FMT_SHADOW_DIR}")
  message(STATUS "gen: fmt ${fmt_VERSION} from ${_gen_fmt_dir} before LibTorch's own fmt headers")
endif()
