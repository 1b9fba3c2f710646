# Writes OUT: a C++ file defining NS::Migrations() from the SQL FILES, in order.
set(body "// Generated from migrations/*.sql; do not edit.\n#include \"services/libs/pg/migrate.h\"\n\nnamespace ${NS} {\n\nconst std::vector<mail::pg::Migration>& Migrations() {\n  static const std::vector<mail::pg::Migration> kMigrations = {\n")
foreach(f ${FILES})
  get_filename_component(name ${f} NAME)
  file(READ ${f} text)
  string(APPEND body "      {\"${name}\", R\"mailsuite_sql(${text})mailsuite_sql\"},\n")
endforeach()
string(APPEND body "  };\n  return kMigrations;\n}\n\n}  // namespace ${NS}\n")
file(WRITE ${OUT} "${body}")
