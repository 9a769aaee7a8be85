# Per-target settings: warnings, sanitizers. Applied to every trawl target,
# never globally, so third-party code keeps its own flags.
function(trawl_target_settings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                           -Wnon-virtual-dtor -Wno-missing-field-initializers)
  if(TRAWL_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(TRAWL_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(TRAWL_TSAN)
    target_compile_options(${target} PRIVATE -fsanitize=thread)
    target_link_options(${target} PRIVATE -fsanitize=thread)
  endif()
endfunction()

# trawl_library(NAME SOURCES... [DEPS ...] [PUBLIC_DEPS ...])
# A stage library: headers in include/trawl/NAME, sources beside them.
function(trawl_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(trawl_${name} STATIC ${ARG_SOURCES})
  add_library(trawl::${name} ALIAS trawl_${name})
  target_include_directories(trawl_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(trawl_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_DEPS})
  trawl_target_settings(trawl_${name})
endfunction()

# trawl_test(NAME SOURCES... DEPS ...): a GoogleTest binary registered with CTest.
function(trawl_test name)
  if(NOT TRAWL_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} trawl::testsupport GTest::gtest GTest::gtest_main
                                        GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    TRAWL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    TRAWL_SHARED_DATA="${PROJECT_SOURCE_DIR}/../shared/data")
  trawl_target_settings(${name})
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
endfunction()
