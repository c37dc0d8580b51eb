# Helpers every module uses: one library per module, unit tests beside the code,
# benchmarks and fuzz targets. Our code builds with -Wall -Wextra -Werror.

set(FG_WARNINGS -Wall -Wextra -Werror -Wno-error=deprecated-declarations)
set(FG_SANITIZE_FLAGS)
if(FLEETGATE_SANITIZE)
  set(FG_SANITIZE_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
endif()

function(fg_apply_flags target)
  target_compile_options(${target} PRIVATE ${FG_WARNINGS} ${FG_SANITIZE_FLAGS})
  target_link_options(${target} PRIVATE ${FG_SANITIZE_FLAGS})
  target_compile_definitions(${target} PUBLIC BOOST_ASIO_NO_DEPRECATED)
  if(FLEETGATE_FUZZ)
    # Undefined behaviour stops the run like a crash, so libFuzzer reports it and keeps the input.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined)
  endif()
endfunction()

# fg_library(NAME SOURCES a.cc b.cc DEPS fg_core Boost::json)
# Defines library fg_NAME.
function(fg_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(fg_${name} STATIC ${ARG_SOURCES})
  target_include_directories(fg_${name} PUBLIC ${CMAKE_BINARY_DIR}/include ${CMAKE_BINARY_DIR}/generated)
  target_link_libraries(fg_${name} PUBLIC ${ARG_DEPS})
  fg_apply_flags(fg_${name})
endfunction()

# fg_test(NAME SOURCES a_test.cc DEPS fg_vehicle [BOTH_BACKENDS])
# One GoogleTest binary per call; each test case becomes a ctest entry. BOTH_BACKENDS registers
# every case a second time, prefixed "pg." (`ctest -R '^pg[.]'`), with the services it starts
# keeping their control plane on the suite's PostgreSQL (tests/support/test_backend.h; the
# fixture pg_suite in tests/ starts it).
function(fg_test name)
  if(FLEETGATE_FUZZ)
    return()
  endif()
  cmake_parse_arguments(ARG "BOTH_BACKENDS" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock Threads::Threads)
  target_compile_definitions(${name} PRIVATE FLEETGATE_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
                                             FLEETGATE_BINARY_DIR="${CMAKE_BINARY_DIR}")
  fg_apply_flags(${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
  if(ARG_BOTH_BACKENDS)
    target_link_libraries(${name} PRIVATE fg_test_backend)
    # PROPERTIES is flattened into one list: an empty LABELS value would vanish and make the next
    # key its value, so labels are passed only when there are some.
    set(labels)
    if(ARG_LABELS)
      set(labels LABELS "${ARG_LABELS}")
    endif()
    gtest_discover_tests(${name} TEST_PREFIX "pg." DISCOVERY_TIMEOUT 60
                         PROPERTIES TIMEOUT ${ARG_TIMEOUT} ${labels}
                                    ENVIRONMENT "FLEETGATE_TEST_PG_SUITE=${CMAKE_BINARY_DIR}/pg-suite.state"
                                    FIXTURES_REQUIRED pg_suite)
  endif()
endfunction()

# fg_binary_test(NAME SOURCES a_test.cc DEPS ...): an fg_test that runs the built `fleetgate`
# binary and the helpers under tests/support/.
function(fg_binary_test name)
  fg_test(${name} ${ARGN})
  if(TARGET ${name})
    add_dependencies(${name} fleetgate)
    target_link_libraries(${name} PRIVATE fg_test_backend)
    target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests)
  endif()
endfunction()

# fg_bench(NAME SOURCES a_bench.cc DEPS fg_vehicle): a Google Benchmark binary run by ./dev bench.
function(fg_bench name)
  if(FLEETGATE_FUZZ OR FLEETGATE_SANITIZE)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark Threads::Threads)
  fg_apply_flags(${name})
  set_property(GLOBAL APPEND PROPERTY FG_BENCHMARKS ${name})
endfunction()

# fg_fuzz(NAME SOURCES a_fuzz.cc DEPS fg_vehicle): one fuzz target, one implementation
# (LLVMFuzzerTestOneInput), built two ways. With FLEETGATE_FUZZ (clang, ./dev fuzz) it is a libFuzzer
# binary. Otherwise it is linked with tests/fuzz/replay_main.cc and registered as the ctest test
# NAME, which feeds every file of tests/fuzz-seeds/NAME/ to the target: so the normal build compiles
# every target and CI replays every seed and found crash as a regression test.
function(fg_fuzz name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(FLEETGATE_FUZZ)
    add_executable(${name} ${ARG_SOURCES})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    set_property(GLOBAL APPEND PROPERTY FG_FUZZ_TARGETS ${name})
  else()
    add_executable(${name} ${ARG_SOURCES} ${CMAKE_SOURCE_DIR}/tests/fuzz/replay_main.cc)
    add_test(NAME ${name} COMMAND ${name} ${CMAKE_SOURCE_DIR}/tests/fuzz-seeds/${name})
    set_tests_properties(${name} PROPERTIES TIMEOUT 120 LABELS fuzz)
  endif()
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/fuzz)
  target_compile_definitions(${name} PRIVATE FLEETGATE_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  fg_apply_flags(${name})
endfunction()
