// Helpers of the IMAP-facing RPCs; see imap_common.h.
#include "services/mailbox-store/imap_common.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/libs/base/status_macros.h"
#include "services/mailbox-store/mailbox_service.h"

namespace mail::mailbox_store {
namespace {

bool ValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
    if (extra == 9 || i + extra >= s.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += extra + 1;
  }
  return true;
}

}  // namespace

absl::Status ValidateMailboxName(const std::string& name) {
  if (name.empty()) return absl::InvalidArgumentError("empty mailbox name");
  if (name.size() > kMaxMailboxName) return absl::InvalidArgumentError("mailbox name too long");
  if (!ValidUtf8(name)) return absl::InvalidArgumentError("mailbox name is not UTF-8");
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return absl::InvalidArgumentError("control character in mailbox name");
    }
    if (c == '*' || c == '%') return absl::InvalidArgumentError("wildcard in mailbox name");
  }
  if (name.front() == '/' || name.back() == '/' || absl::StrContains(name, "//")) {
    return absl::InvalidArgumentError("empty hierarchy level in mailbox name");
  }
  return absl::OkStatus();
}

std::string CanonicalName(const std::string& name) {
  if (name.size() >= 5 && absl::EqualsIgnoreCase(name.substr(0, 5), "INBOX") &&
      (name.size() == 5 || name[5] == '/')) {
    return "INBOX" + name.substr(5);
  }
  return name;
}

absl::StatusOr<int64_t> NextUidValidity(pg::Connection& conn, int64_t account_id) {
  MAIL_ASSIGN_OR_RETURN(
      pg::Result r,
      conn.Exec("UPDATE mailstore.accounts SET last_uidvalidity = greatest(last_uidvalidity + 1, "
                "extract(epoch FROM now())::bigint % 4294967296) WHERE id = $1 RETURNING "
                "last_uidvalidity",
                {account_id}));
  if (r.rows() == 0) return absl::NotFoundError("account vanished");
  return r.GetInt(0, 0);
}

absl::Status CreateParents(pg::Connection& conn, int64_t account_id, const std::string& name) {
  for (size_t slash = name.find('/'); slash != std::string::npos;
       slash = name.find('/', slash + 1)) {
    std::string parent = name.substr(0, slash);
    MAIL_ASSIGN_OR_RETURN(pg::Result exists,
                          conn.Exec("SELECT 1 FROM mailstore.mailboxes WHERE account_id = $1 AND "
                                    "name = $2",
                                    {account_id, parent}));
    if (exists.rows() > 0) continue;
    MAIL_ASSIGN_OR_RETURN(int64_t uidvalidity, NextUidValidity(conn, account_id));
    MAIL_RETURN_IF_ERROR(conn.Exec("INSERT INTO mailstore.mailboxes (account_id, name, "
                                   "uidvalidity) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                                   {account_id, parent, uidvalidity})
                             .status());
  }
  return absl::OkStatus();
}

absl::Status SplitFlags(const std::vector<std::string>& flags, std::vector<std::string>* system,
                        std::vector<std::string>* keywords) {
  static const char* const kSystem[] = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted",
                                        "\\Draft"};
  for (const std::string& f : flags) {
    if (f.empty()) continue;
    if (f[0] != '\\') {
      keywords->push_back(f);
      continue;
    }
    if (absl::EqualsIgnoreCase(f, "\\Recent")) continue;
    bool known = false;
    for (const char* s : kSystem) {
      if (absl::EqualsIgnoreCase(f, s)) {
        system->push_back(s);
        known = true;
      }
    }
    if (!known) return absl::InvalidArgumentError(absl::StrCat("unknown system flag ", f));
  }
  return absl::OkStatus();
}

absl::Status NotifyChange(pg::Connection& conn, int64_t account_id, int64_t mailbox_id,
                          int64_t modseq) {
  return conn
      .Exec("SELECT pg_notify($1, $2)",
            {kChangeChannel, absl::StrCat(account_id, " ", mailbox_id, " ", modseq)})
      .status();
}

absl::Status RecordExpunged(pg::Connection& conn, int64_t account_id, int64_t mailbox_id,
                            const std::string& uids, int64_t modseq) {
  return conn
      .Exec(
          "WITH old AS (DELETE FROM mailstore.expunged WHERE account_id = $5 AND mailbox_id = "
          "$1 AND modseq < $3::bigint - $4::bigint) INSERT INTO mailstore.expunged "
          "(mailbox_id, account_id, uid, modseq) SELECT $1, $5, unnest($2::bigint[]), $3 ON "
          "CONFLICT (mailbox_id, uid) DO UPDATE SET modseq = EXCLUDED.modseq",
          {mailbox_id, uids, modseq, kKeptExpungeModseqs, account_id})
      .status();
}

absl::StatusOr<int64_t> BumpModseq(pg::Connection& conn, int64_t account_id, int64_t mailbox_id) {
  MAIL_ASSIGN_OR_RETURN(
      pg::Result r,
      conn.Exec("UPDATE mailstore.mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = $1 "
                "AND account_id = $2 RETURNING highest_modseq",
                {mailbox_id, account_id}));
  if (r.rows() == 0) return absl::NotFoundError("mailbox vanished");
  int64_t modseq = r.GetInt(0, 0);
  MAIL_RETURN_IF_ERROR(NotifyChange(conn, account_id, mailbox_id, modseq));
  return modseq;
}

absl::Status LockAccount(pg::Connection& conn, int64_t account_id) {
  return conn.Exec("SELECT 1 FROM mailstore.accounts WHERE id = $1 FOR UPDATE", {account_id})
      .status();
}

}  // namespace mail::mailbox_store
