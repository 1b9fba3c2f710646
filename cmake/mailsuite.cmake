# Helpers shared by every CMakeLists.txt of the tree.

# mailsuite_library(NAME SOURCES... DEPS ...): a static library with our warnings.
function(mailsuite_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${MAILSUITE_WARNINGS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# mailsuite_binary(NAME SOURCES... DEPS ...): a process binary in build/bin.
function(mailsuite_binary name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${MAILSUITE_WARNINGS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

# mailsuite_embed_sql(TARGET DIR NAMESPACE): compiles every DIR/*.sql into TARGET as
# `const std::vector<mail::pg::Migration>& NAMESPACE::Migrations()`, so a binary carries
# its own schema and needs no files at run time (read-only containers).
function(mailsuite_embed_sql target dir ns)
  file(GLOB sql_files CONFIGURE_DEPENDS ${dir}/*.sql)
  list(SORT sql_files)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}_migrations.cc)
  string(REPLACE ";" "|" files_arg "${sql_files}")
  add_custom_command(
    OUTPUT ${out}
    # "|" separates the files (VERBATIM quotes it for the shell); ";" would split them.
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNS=${ns} "-DFILES=${files_arg}"
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_sql.cmake
    DEPENDS ${sql_files} ${PROJECT_SOURCE_DIR}/cmake/embed_sql.cmake
    COMMENT "Embedding migrations for ${target}"
    VERBATIM)
  target_sources(${target} PRIVATE ${out})
endfunction()
