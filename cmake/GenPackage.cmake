# Installing and packaging: `cmake --install build --prefix P` gives P/bin/gen with the shipped
# configs in P/share/gen/configs (where `gen train dcgan_mnist` finds them by name) and the
# docs in P/share/doc/gen; `cpack -G DEB` in build/ makes a .deb of the same files under /usr.
include(GNUInstallDirs)
# A LibTorch from a Debian package is found by the loader; any other (a pip wheel, an unpacked
# zip) stays where it is and the installed gen finds it through its RUNPATH. The .deb is made
# only from a build against Debian's LibTorch: its dependencies name Debian's packages.
if(NOT GEN_TORCH_IS_SYSTEM)  # cmake/GenTorchChecks.cmake
  get_filename_component(_gen_torch_lib "${TORCH_LIBRARY}" DIRECTORY)
  set_target_properties(gen PROPERTIES INSTALL_RPATH "${_gen_torch_lib}")
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/configs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/gen/configs
        FILES_MATCHING PATTERN "*.yaml")
# The data fetcher, which gen's "file not found" messages name (util/fs.h, get_data_command).
install(PROGRAMS ${PROJECT_SOURCE_DIR}/scripts/get_data.sh DESTINATION ${CMAKE_INSTALL_DATADIR}/gen)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/RESULTS.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME gen)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "gen maintainers <gen@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "train generative models (DCGAN, VAE, Transformer) from YAML experiment files")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The runtime packages of the libraries gen links (LibTorch, OpenCV, yaml-cpp, spdlog, fmt, ...),
# read off the binary by dpkg-shlibdeps; plus the OpenBLAS that LibTorch's BLAS calls should
# reach (Debian's alternatives pick it when installed; without it GEMMs run ~18x slower).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-pthread")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
include(CPack)
