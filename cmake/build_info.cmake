# What `pcnn-cl --version` prints besides the version: the commit (at every
# build, cmake/commit.cmake; a tarball from `git archive` carries it in
# cmake/commit.txt) and the backends and libraries compiled in, with the
# versions found at configure time.
set(PCNN_COMMIT_HEADER ${PROJECT_BINARY_DIR}/generated/pcnn_commit.h)
add_custom_target(pcnn_commit
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DOUT=${PCNN_COMMIT_HEADER}
          -P ${PROJECT_SOURCE_DIR}/cmake/commit.cmake
  BYPRODUCTS ${PCNN_COMMIT_HEADER} VERBATIM)
add_dependencies(pcnn-cl pcnn_commit)
target_include_directories(pcnn-cl PRIVATE ${PROJECT_BINARY_DIR}/generated)
set(PCNN_BUILD_OPENCL "")
if(PCNN_OPENCL)
  find_package(OpenCL QUIET) # host/opencl found it in its own scope; the cached answer
  set(PCNN_BUILD_OPENCL "OpenCL ${OpenCL_VERSION_STRING}")
endif()
set(PCNN_BUILD_MPI "")
if(PCNN_MPI AND MPI_C_FOUND)
  set(PCNN_BUILD_MPI "MPI ${MPI_C_VERSION}")
endif()
target_compile_definitions(pcnn-cl PRIVATE PCNN_BUILD_OPENBLAS="${OPENBLAS_VERSION}"
                           PCNN_BUILD_OPENCL="${PCNN_BUILD_OPENCL}" PCNN_BUILD_MPI="${PCNN_BUILD_MPI}"
                           PCNN_BUILD_OPENMP="${OpenMP_C_VERSION}" PCNN_BUILD_ZLIB="${ZLIB_VERSION_STRING}"
                           PCNN_BUILD_COMPILER="${CMAKE_C_COMPILER_ID} ${CMAKE_C_COMPILER_VERSION}")
