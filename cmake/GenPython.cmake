# GEN_PYTHON: the Python the tests launch torchrun (python -m torch.distributed.run) and the
# real clients (torch.load, safetensors, TensorBoard) with. It must be the Python whose torch
# is the LibTorch gen links: torchrun's store and gen's c10d client must be one version.
# A pip torch (in a venv): the python3 of that venv. Debian's libtorch-dev: /usr/bin/python3
# (python3-torch). -DGEN_PYTHON=... overrides.
if(NOT GEN_PYTHON)
  get_filename_component(_gen_venv_bin "${TORCH_INSTALL_PREFIX}/../../../../bin" ABSOLUTE)
  if(GEN_TORCH_IS_SYSTEM)
    set(_gen_python /usr/bin/python3)
  elseif(EXISTS "${_gen_venv_bin}/python3")
    set(_gen_python "${_gen_venv_bin}/python3")
  else()
    set(_gen_python /usr/bin/python3)
  endif()
  set(GEN_PYTHON "${_gen_python}" CACHE FILEPATH "Python whose torch is gen's LibTorch (tests' torchrun and clients)")
endif()
execute_process(COMMAND "${GEN_PYTHON}" -c "import torch, os; print(os.path.realpath(os.path.dirname(torch.__file__)))"
                OUTPUT_VARIABLE _gen_python_torch OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _gen_rc)
get_filename_component(_gen_torch_real "${TORCH_INSTALL_PREFIX}" REALPATH)
if(NOT _gen_rc EQUAL 0)
  message(STATUS "gen: ${GEN_PYTHON} cannot import torch: the torchrun and Python-client tests will fail")
elseif(NOT _gen_python_torch STREQUAL _gen_torch_real AND NOT GEN_TORCH_IS_SYSTEM)
  message(WARNING "gen: ${GEN_PYTHON}'s torch is ${_gen_python_torch}, gen links ${_gen_torch_real}: "
          "pass -DGEN_PYTHON=<the python of that torch>")
else()
  message(STATUS "gen: tests run torchrun with ${GEN_PYTHON}")
endif()

# GEN_CLIENT_PYTHON: the Python of the interop tests' real clients (torch.load, safetensors,
# TensorBoard), pinned in requirements-dev.txt: the checkout's .venv/ that scripts/setup.sh
# makes, whichever LibTorch gen links (a file gen 1.13 writes must load in today's torch).
if(NOT GEN_CLIENT_PYTHON)
  if(EXISTS "${PROJECT_SOURCE_DIR}/.venv/bin/python3")
    set(_gen_client "${PROJECT_SOURCE_DIR}/.venv/bin/python3")
  else()
    set(_gen_client "${GEN_PYTHON}")
  endif()
  set(GEN_CLIENT_PYTHON "${_gen_client}" CACHE FILEPATH "Python with the pinned interop clients (requirements-dev.txt)")
endif()
message(STATUS "gen: interop tests read gen's files with ${GEN_CLIENT_PYTHON}")
