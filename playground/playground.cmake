# playground.cmake - the playground: the library compiled to WebAssembly (wasm32-wasi,
# with clang, lld and wasi-libc), bundled with playground/web/ into one HTML page
# (build/playground/micrograd-playground.html) that `micrograd playground` writes out.
# Included by CMakeLists.txt after the command and the tests are defined. A missing
# toolchain switches the page off with a message, never fails the build; the command then
# says how to get it, and the page's tests report themselves skipped.
#
# Options: MG_PLAYGROUND (ON), MG_WASM_CC (the clang to use; default: CMAKE_C_COMPILER when
# it is clang, else clang on PATH), MG_WASI_SYSROOT (wasi-libc's sysroot; default: clang's
# own, which on Debian finds /usr/include/wasm32-wasi and /usr/lib/wasm32-wasi).

set(MG_PLAYGROUND_BUILT 0)
set(MG_PLAYGROUND_DIR ${CMAKE_BINARY_DIR}/playground)
set(MG_PLAYGROUND_PAGE ${MG_PLAYGROUND_DIR}/micrograd-playground.html)
set(MG_PLAYGROUND_WASM ${MG_PLAYGROUND_DIR}/playground.wasm)
set(MG_PLAYGROUND_HINT "as root: scripts/deps.sh test, or apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32")
file(MAKE_DIRECTORY ${MG_PLAYGROUND_DIR})

# ---- the toolchain: a clang that compiles and links a small wasm32-wasi module -----------
set(mg_wasm_why "")
if(NOT MG_PLAYGROUND)
  set(mg_wasm_why "MG_PLAYGROUND is OFF")
else()
  if(MG_WASM_CC)
    set(mg_wasm_cc ${MG_WASM_CC})
  elseif(CMAKE_C_COMPILER_ID MATCHES "Clang")
    set(mg_wasm_cc ${CMAKE_C_COMPILER})
  else()
    find_program(MG_WASM_CLANG NAMES clang clang-14 clang-15 clang-16 clang-17 clang-18 clang-19)
    set(mg_wasm_cc ${MG_WASM_CLANG})
  endif()
  set(mg_wasm_sysroot "")
  if(MG_WASI_SYSROOT)
    set(mg_wasm_sysroot --sysroot=${MG_WASI_SYSROOT})
  endif()
  if(NOT mg_wasm_cc OR NOT EXISTS "${mg_wasm_cc}")
    set(mg_wasm_why "no clang found (set MG_WASM_CC)")
  else()
    # What the library needs of the target: libc, libm, stdio, a reactor module, exports.
    file(WRITE ${MG_PLAYGROUND_DIR}/probe.c
         "#include <math.h>\n#include <stdio.h>\n#include <time.h>\n"
         "double probe(double x);\n"
         "double probe(double x) { char b[32]; struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);\n"
         "  snprintf(b, sizeof b, \"%g\", x); return tanh(x) + exp(x) + (double)b[0] + (double)t.tv_sec; }\n")
    execute_process(
      COMMAND ${mg_wasm_cc} --target=wasm32-wasi ${mg_wasm_sysroot} -O2 -mexec-model=reactor
              -Wl,--export=probe ${MG_PLAYGROUND_DIR}/probe.c -o ${MG_PLAYGROUND_DIR}/probe.wasm
      RESULT_VARIABLE mg_wasm_rc OUTPUT_VARIABLE mg_wasm_out ERROR_VARIABLE mg_wasm_err)
    if(NOT mg_wasm_rc EQUAL 0)
      string(REGEX REPLACE "\n.*" "" mg_wasm_err "${mg_wasm_err}")
      set(mg_wasm_why "${mg_wasm_cc} cannot build for wasm32-wasi: ${mg_wasm_err}")
    endif()
  endif()
endif()

if(mg_wasm_why)
  message(STATUS "micrograd: the playground switched off (${mg_wasm_why}; ${MG_PLAYGROUND_HINT})")
else()
  set(MG_PLAYGROUND_BUILT 1)
  list(APPEND MG_FEATURES "playground")
  message(STATUS "micrograd: the playground: WebAssembly with ${mg_wasm_cc}")
endif()

if(MG_PLAYGROUND_BUILT)
  # ---- the library and the page's API, compiled for wasm32-wasi ---------------------------
  # Every source but the graphviz renderer (wasm_stubs.c stands in for it); no OpenMP
  # (one thread), no cairo, graphviz, zlib or jansson (those features report themselves
  # unsupported). Always optimised, whatever the native build type; no fused multiply-add,
  # as natively, so the numbers are the native portable path's.
  set(MG_WASM_FLAGS --target=wasm32-wasi ${mg_wasm_sysroot} -std=c11 -O2 -ffp-contract=off
      -fvisibility=hidden -D_POSIX_C_SOURCE=200809L -D_WASI_EMULATED_GETPID
      -I${CMAKE_SOURCE_DIR}/include -I${CMAKE_SOURCE_DIR}/src -I${CMAKE_SOURCE_DIR}/playground
      -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes)
  if(MG_WERROR)
    list(APPEND MG_WASM_FLAGS -Werror)
  endif()
  set(mg_wasm_sources ${MG_LIB_SOURCES})
  list(REMOVE_ITEM mg_wasm_sources ${CMAKE_SOURCE_DIR}/src/viz/render.c)
  list(APPEND mg_wasm_sources ${CMAKE_SOURCE_DIR}/playground/pg.c
       ${CMAKE_SOURCE_DIR}/playground/pg_view.c ${CMAKE_SOURCE_DIR}/playground/wasm_stubs.c)
  set(mg_wasm_objects "")
  foreach(src ${mg_wasm_sources})
    file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR} ${src})
    string(REPLACE "/" "_" obj ${rel})
    set(obj ${MG_PLAYGROUND_DIR}/obj/${obj}.o)
    set(mg_depfile "")
    if(CMAKE_GENERATOR MATCHES "Ninja" OR CMAKE_VERSION VERSION_GREATER_EQUAL 3.20)
      set(mg_depfile DEPFILE ${obj}.d)
    endif()
    add_custom_command(OUTPUT ${obj}
      COMMAND ${mg_wasm_cc} ${MG_WASM_FLAGS} -MD -MF ${obj}.d -c ${src} -o ${obj}
      DEPENDS ${src} ${mg_depfile}
      COMMENT "Compiling ${rel} for wasm32-wasi" VERBATIM)
    list(APPEND mg_wasm_objects ${obj})
  endforeach()
  file(MAKE_DIRECTORY ${MG_PLAYGROUND_DIR}/obj)

  # The module exports pg.h's functions (and its memory); a reactor: no main, _initialize.
  file(STRINGS ${CMAKE_SOURCE_DIR}/playground/pg.h mg_pg_decls REGEX "^[a-z].* \\**pg_[a-z_]+\\(")
  set(mg_wasm_exports "")
  foreach(line ${mg_pg_decls})
    string(REGEX MATCH "pg_[a-z_]+\\(" name "${line}")
    string(REPLACE "(" "" name "${name}")
    list(APPEND mg_wasm_exports -Wl,--export=${name})
  endforeach()
  add_custom_command(OUTPUT ${MG_PLAYGROUND_WASM}
    COMMAND ${mg_wasm_cc} --target=wasm32-wasi ${mg_wasm_sysroot} -O2 -mexec-model=reactor
            -Wl,--strip-debug ${mg_wasm_exports} ${mg_wasm_objects} -lwasi-emulated-getpid
            -o ${MG_PLAYGROUND_WASM}
    DEPENDS ${mg_wasm_objects} ${CMAKE_SOURCE_DIR}/playground/pg.h
    COMMENT "Linking the playground's WebAssembly module" VERBATIM)

  # ---- the page: one HTML file with the module inside, and its bytes as C ---------------
  add_executable(mg_playground_bundle ${CMAKE_SOURCE_DIR}/playground/bundle.c)
  set_target_properties(mg_playground_bundle PROPERTIES OUTPUT_NAME bundle
    RUNTIME_OUTPUT_DIRECTORY ${MG_PLAYGROUND_DIR})
  file(GLOB mg_web_files CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/playground/web/*)
  add_custom_command(OUTPUT ${MG_PLAYGROUND_PAGE} ${MG_PLAYGROUND_DIR}/page_data.c
    COMMAND mg_playground_bundle ${CMAKE_SOURCE_DIR}/playground/web/page.html
            ${CMAKE_SOURCE_DIR}/playground/web ${MG_PLAYGROUND_WASM} ${MG_PLAYGROUND_PAGE}
            ${MG_PLAYGROUND_DIR}/page_data.c
    DEPENDS mg_playground_bundle ${MG_PLAYGROUND_WASM} ${mg_web_files}
    COMMENT "Bundling the playground page" VERBATIM)
  add_custom_target(playground ALL DEPENDS ${MG_PLAYGROUND_PAGE})
  target_sources(micrograd PRIVATE ${MG_PLAYGROUND_DIR}/page_data.c)
  target_compile_definitions(micrograd PRIVATE MG_HAVE_PLAYGROUND=1)
endif()

# ---- tests --------------------------------------------------------------------------------
# The page's module under Node and the page in headless Chromium; each exits 77 (skipped)
# when what it needs is missing, the page included.
if(MG_BUILD_TESTS)
  add_executable(pg_native ${CMAKE_SOURCE_DIR}/tests/playground/pg_native.c
                 ${CMAKE_SOURCE_DIR}/playground/pg.c ${CMAKE_SOURCE_DIR}/playground/pg_view.c)
  set_target_properties(pg_native PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_include_directories(pg_native PRIVATE ${CMAKE_SOURCE_DIR}/playground)
  target_link_libraries(pg_native PRIVATE micrograd_static)
  set(mg_pg_env "MG_PLAYGROUND_BUILT=${MG_PLAYGROUND_BUILT}" "MG_PLAYGROUND_WASM=${MG_PLAYGROUND_WASM}"
      "MG_PLAYGROUND_PAGE=${MG_PLAYGROUND_PAGE}" "MG_CLI=$<TARGET_FILE:micrograd>"
      "MG_PG_NATIVE=$<TARGET_FILE:pg_native>" "MG_PLAYGROUND_HINT=${MG_PLAYGROUND_HINT}")
  add_test(NAME playground_node COMMAND ${CMAKE_SOURCE_DIR}/tests/playground/run.sh node)
  add_test(NAME playground_browser COMMAND ${CMAKE_SOURCE_DIR}/tests/playground/run.sh browser)
  set_tests_properties(playground_node playground_browser PROPERTIES
    ENVIRONMENT "${mg_pg_env}" SKIP_RETURN_CODE 77 TIMEOUT 600)
  # the browser test takes both cores' worth of Chromium: not beside the others
  set_tests_properties(playground_browser PROPERTIES RUN_SERIAL TRUE)
  if(TARGET test_playground_cli AND MG_PLAYGROUND_BUILT)
    target_compile_definitions(test_playground_cli PRIVATE MG_HAVE_PLAYGROUND=1
                               MG_PLAYGROUND_PAGE="${MG_PLAYGROUND_PAGE}")
  endif()
endif()
