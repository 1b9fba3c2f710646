// Schema migrations: see migrate.h. A session-level advisory lock keyed by the schema
// name serialises replicas that start at once; each migration and its record in
// schema_migrations commit together, so a crash never leaves one half applied.
#include "services/libs/pg/migrate.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/libs/base/log.h"
#include "services/libs/base/status_macros.h"
#include "services/libs/pg/pg.h"

namespace mail::pg {
namespace {

// Schema names are spliced into SQL (identifiers cannot be parameters), so only
// plain lower-case identifiers are accepted.
bool IsPlainIdentifier(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  if (!absl::ascii_islower(name[0]) && name[0] != '_') return false;
  for (char c : name) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_') return false;
  }
  return true;
}

absl::Status ApplyPending(Connection& conn, const std::string& schema,
                          const std::vector<Migration>& migrations) {
  MAIL_RETURN_IF_ERROR(conn.ExecScript(absl::StrCat("CREATE SCHEMA IF NOT EXISTS ", schema)));
  MAIL_RETURN_IF_ERROR(conn.ExecScript(absl::StrCat(
      "CREATE TABLE IF NOT EXISTS ", schema,
      ".schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT "
      "now())")));
  MAIL_ASSIGN_OR_RETURN(Result applied,
                        conn.Exec(absl::StrCat("SELECT name FROM ", schema, ".schema_migrations")));
  std::set<std::string, std::less<>> done;
  for (int i = 0; i < applied.rows(); ++i) done.emplace(applied.Get(i, 0));

  for (const Migration& m : migrations) {
    if (done.count(m.name) > 0) continue;
    mail::base::LogInfo("applying migration", {{"schema", schema}, {"migration", m.name}});
    MAIL_RETURN_IF_ERROR(conn.ExecScript("BEGIN"));
    // Unqualified names in a migration land in its schema.
    absl::Status status =
        conn.ExecScript(absl::StrCat("SET LOCAL search_path TO ", schema, ", public"));
    if (status.ok()) status = conn.ExecScript(m.sql);
    if (status.ok()) {
      status =
          conn.Exec(absl::StrCat("INSERT INTO ", schema, ".schema_migrations (name) VALUES ($1)"),
                    {m.name})
              .status();
    }
    if (status.ok()) status = conn.ExecScript("COMMIT");
    if (!status.ok()) {
      (void)conn.ExecScript("ROLLBACK");
      return absl::Status(status.code(), absl::StrCat("migration ", schema, "/", m.name,
                                                      " failed: ", status.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Migrate(Connection& conn, const std::string& schema,
                     const std::vector<Migration>& migrations) {
  if (!IsPlainIdentifier(schema)) {
    return absl::InvalidArgumentError(absl::StrCat("bad schema name \"", schema, "\""));
  }
  const std::string key = absl::StrCat("mailsuite.migrate.", schema);
  MAIL_RETURN_IF_ERROR(conn.Exec("SELECT pg_advisory_lock(hashtext($1))", {key}).status());
  absl::Status status = ApplyPending(conn, schema, migrations);
  absl::Status unlock = conn.Exec("SELECT pg_advisory_unlock(hashtext($1))", {key}).status();
  MAIL_RETURN_IF_ERROR(status);
  return unlock;
}

}  // namespace mail::pg
