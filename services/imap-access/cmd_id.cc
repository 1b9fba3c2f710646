// ID (RFC 2971): the client says who it is (logged), the server answers with its name.
#include "absl/strings/str_cat.h"
#include "services/imap-access/session.h"
#include "services/libs/base/log.h"
#include "services/libs/imap/response.h"

namespace mail::imap_access {

asio::awaitable<void> Session::CmdId(const imap::Command& cmd) {
  if (cmd.args.size() != 1 || (!cmd.args[0].IsNil() && !cmd.args[0].IsList())) {
    Tagged(cmd, "BAD", "", "Usage: ID (\"name\" \"value\" ...) or ID NIL");
    co_return;
  }
  const auto& list = cmd.args[0].list;
  // RFC 2971 §3.3: at most 30 pairs, fields up to 30 octets, values up to 1024.
  if (list.size() % 2 != 0 || list.size() > 60) {
    Tagged(cmd, "BAD", "", "ID takes up to 30 field-value pairs");
    co_return;
  }
  std::string client;
  for (size_t i = 0; i + 1 < list.size(); i += 2) {
    if (!list[i].IsString() || (!list[i + 1].IsString() && !list[i + 1].IsNil())) {
      Tagged(cmd, "BAD", "", "ID fields and values are strings");
      co_return;
    }
    if (!client.empty()) client += ' ';
    absl::StrAppend(&client, list[i].value.substr(0, 30), "=",
                    list[i + 1].IsNil() ? "NIL" : list[i + 1].value.substr(0, 100));
  }
  if (!client.empty()) base::LogInfo("client id", {{"session", id_}, {"id", client}});
  Send(imap::Untagged("ID (\"name\" \"mailsuite\" \"vendor\" \"mailsuite\")"));
  Tagged(cmd, "OK", "", "ID completed");
}

}  // namespace mail::imap_access
