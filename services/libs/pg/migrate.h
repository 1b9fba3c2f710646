// Numbered SQL migrations, applied in order at start-up by the service that owns a
// schema and recorded in <schema>.schema_migrations. Safe when several replicas
// start at once (an advisory lock serialises them). Files are compiled into the
// binary with mailsuite_embed_sql (cmake/mailsuite.cmake).
#ifndef MAILSUITE_SERVICES_LIBS_PG_MIGRATE_H_
#define MAILSUITE_SERVICES_LIBS_PG_MIGRATE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace mail::pg {

struct Migration {
  std::string name;  // "0001_init.sql"; applied in this order
  std::string sql;
};

class Connection;

// Creates `schema` if needed and applies each migration not yet recorded, each in
// its own transaction. Never re-applies or rewrites an applied one.
absl::Status Migrate(Connection& conn, const std::string& schema,
                     const std::vector<Migration>& migrations);

}  // namespace mail::pg

#endif  // MAILSUITE_SERVICES_LIBS_PG_MIGRATE_H_
