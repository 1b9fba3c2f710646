// mailctl auth, lookup, mailbox, message and deliver: checks and mail handling through
// MailboxService, in the spirit of `doveadm auth test` and `doveadm fetch`.
#include <iterator>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "services/libs/base/uuid.h"
#include "services/libs/mail/mime.h"
#include "services/mailctl/cli.h"
#include "services/mailctl/commands.h"

namespace mail::mailctl {
namespace {

constexpr size_t kChunk = 1 << 20;  // DeliverRequest chunks, as the protocol asks

const char* KindName(v1::RecipientKind kind) {
  switch (kind) {
    case v1::RECIPIENT_KIND_LOCAL:
      return "local";
    case v1::RECIPIENT_KIND_UNKNOWN_USER:
      return "unknown user (local domain)";
    case v1::RECIPIENT_KIND_REMOTE:
      return "remote";
    default:
      return "unspecified";
  }
}

const char* DeliveryName(v1::DeliveryStatus status) {
  switch (status) {
    case v1::DELIVERY_STATUS_DELIVERED:
      return "delivered";
    case v1::DELIVERY_STATUS_DUPLICATE:
      return "duplicate (delivered before)";
    case v1::DELIVERY_STATUS_UNKNOWN_USER:
      return "unknown user";
    case v1::DELIVERY_STATUS_OVER_QUOTA:
      return "over quota";
    default:
      return "unspecified";
  }
}

bool ParseUid(const std::string& text, uint32_t* uid) {
  return absl::SimpleAtoi(text, uid) && *uid > 0;
}

}  // namespace

int Cli::Auth(const Args& args) {
  if (args.size() != 1 || !options_.password_stdin) {
    return Usage("auth ADDRESS --password-stdin");
  }
  v1::AuthenticateRequest req;
  req.set_username(args[0]);
  req.set_client_ip("mailctl");
  bool generated = false;
  if (!ReadOrGeneratePassword(args[0], req.mutable_password(), &generated)) return kExitFailed;
  v1::AuthenticateResponse resp;
  grpc::Status s = Mailboxes().Authenticate(Context().get(), req, &resp);
  if (!s.ok()) return Fail(s, Backend::kMailboxStore);
  if (!resp.authenticated()) return FailText("authentication failed for " + args[0]);
  out_ << "authenticated as " << resp.account() << "\n";
  return kExitOk;
}

int Cli::Lookup(const Args& args) {
  if (args.size() != 1) return Usage("lookup ADDRESS");
  v1::LookupRecipientRequest req;
  req.set_address(args[0]);
  v1::LookupRecipientResponse resp;
  grpc::Status s = Mailboxes().LookupRecipient(Context().get(), req, &resp);
  if (!s.ok()) return Fail(s, Backend::kMailboxStore);
  out_ << "kind: " << KindName(resp.kind()) << "\n";
  if (!resp.accounts().empty()) {
    out_ << "accounts: " << absl::StrJoin(resp.accounts(), ", ") << "\n";
  }
  if (!resp.forward_to().empty()) {
    out_ << "forward to: " << absl::StrJoin(resp.forward_to(), ", ") << "\n";
  }
  if (resp.over_quota()) out_ << "over quota: yes\n";
  return kExitOk;
}

int Cli::Mailbox(const Args& args) {
  if (args.size() != 2 || args[0] != "list") return Usage("mailbox list ADDRESS");
  v1::ListMailboxesRequest req;
  req.set_account(args[1]);
  v1::ListMailboxesResponse resp;
  grpc::Status s = Mailboxes().ListMailboxes(Context().get(), req, &resp);
  if (!s.ok()) return Fail(s, Backend::kMailboxStore);
  Table table({"MAILBOX", "SPECIAL-USE", "MESSAGES", "UIDVALIDITY", "UIDNEXT", "SUBSCRIBED"});
  for (const v1::Mailbox& m : resp.mailboxes()) {
    table.Add({m.name(), m.special_use().empty() ? "-" : m.special_use(),
               std::to_string(m.messages()), std::to_string(m.uidvalidity()),
               std::to_string(m.uidnext()), m.subscribed() ? "yes" : "no"});
  }
  table.Print(out_);
  return kExitOk;
}

int Cli::Message(const Args& args) {
  const std::string sub = args.empty() ? "" : args[0];
  if (sub == "list" && (args.size() == 2 || args.size() == 3)) {
    v1::ListMessagesRequest req;
    req.set_account(args[1]);
    req.set_mailbox(args.size() == 3 ? args[2] : "INBOX");
    v1::ListMessagesResponse resp;
    grpc::Status s = Mailboxes().ListMessages(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kMailboxStore);
    Table table({"UID", "SIZE", "RECEIVED", "MODSEQ", "FLAGS"});
    for (const v1::MessageInfo& m : resp.messages()) {
      table.Add({std::to_string(m.uid()), std::to_string(m.size()),
                 FormatTime(m.internal_date_unix()), std::to_string(m.modseq()),
                 absl::StrJoin(m.flags(), " ")});
    }
    table.Print(out_);
    return kExitOk;
  }
  if (sub == "structure" && args.size() == 4) {
    // The MIME structure mailbox-store parsed at delivery, as IMAP FETCH sends it, and
    // the part table: one line per part (preorder) with its octet offsets.
    v1::ListMessagesRequest req;
    req.set_account(args[1]);
    req.set_mailbox(args[2]);
    req.set_with_structure(true);
    uint32_t uid = 0;
    if (!ParseUid(args[3], &uid)) return Usage("message structure ADDRESS MAILBOX UID");
    req.add_uids(uid);
    v1::ListMessagesResponse resp;
    grpc::Status s = Mailboxes().ListMessages(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kMailboxStore);
    if (resp.messages_size() != 1) return FailText("no message " + args[3] + " in " + args[2]);
    const v1::MessageInfo& m = resp.messages(0);
    out_ << "ENVELOPE " << m.envelope() << "\nBODYSTRUCTURE " << m.bodystructure() << "\nBODY "
         << m.body() << "\n";
    absl::StatusOr<mime::PartTable> table = mime::DecodePartTable(m.parts());
    if (!table.ok()) return FailText("bad part table: " + std::string(table.status().message()));
    Table parts({"PART", "KIND", "HEADER", "BODY", "END", "LINES"});
    static const char* const kKinds[] = {"leaf", "multipart", "message"};
    for (size_t i = 0; i < table->parts.size(); ++i) {
      const mime::PartOffsets& p = table->parts[i];
      parts.Add({std::to_string(i), kKinds[static_cast<int>(p.kind)],
                 std::to_string(p.header_begin), std::to_string(p.body_begin),
                 std::to_string(p.body_end), std::to_string(p.lines)});
    }
    parts.Print(out_);
    return kExitOk;
  }
  if (sub == "fetch" && args.size() == 4) {
    v1::FetchBodyRequest req;
    req.set_account(args[1]);
    req.set_mailbox(args[2]);
    uint32_t uid = 0;
    if (!ParseUid(args[3], &uid)) return Usage("message fetch ADDRESS MAILBOX UID");
    req.set_uid(uid);
    auto context = Context();
    auto reader = Mailboxes().FetchBody(context.get(), req);
    v1::FetchBodyResponse chunk;
    uint64_t size = 0, got = 0;
    bool first = true;
    while (reader->Read(&chunk)) {
      if (first) size = chunk.size();
      first = false;
      got += chunk.data().size();
      out_ << chunk.data();
    }
    grpc::Status s = reader->Finish();
    if (!s.ok()) return Fail(s, Backend::kMailboxStore);
    out_.flush();
    if (got != size)
      return FailText("message truncated: got " + std::to_string(got) + " of " +
                      std::to_string(size) + " octets");
    return kExitOk;
  }
  if (sub == "expunge" && args.size() >= 4) {
    v1::ExpungeMessagesRequest req;
    req.set_account(args[1]);
    req.set_mailbox(args[2]);
    for (size_t i = 3; i < args.size(); ++i) {
      uint32_t uid = 0;
      if (!ParseUid(args[i], &uid)) return Usage("message expunge ADDRESS MAILBOX UID...");
      req.add_uids(uid);
    }
    v1::ExpungeMessagesResponse resp;
    grpc::Status s = Mailboxes().ExpungeMessages(Context().get(), req, &resp);
    if (!s.ok()) return Fail(s, Backend::kMailboxStore);
    out_ << "expunged " << resp.expunged_uids_size() << " message(s)";
    if (resp.expunged_uids_size() > 0) out_ << ": " << absl::StrJoin(resp.expunged_uids(), " ");
    out_ << "\n";
    return kExitOk;
  }
  return Usage(
      "message list ADDRESS [MAILBOX] | message fetch ADDRESS MAILBOX UID | "
      "message expunge ADDRESS MAILBOX UID...");
}

int Cli::Deliver(const Args& args) {
  if (args.empty()) return Usage("deliver RECIPIENT... [--sender=ADDR] [--transaction_id=UUID]");
  std::string txid = options_.transaction_id.empty() ? base::NewUuid() : options_.transaction_id;
  std::string body((std::istreambuf_iterator<char>(in_)), std::istreambuf_iterator<char>());
  v1::DeliverRequest first;
  v1::Envelope* envelope = first.mutable_envelope();
  envelope->set_transaction_id(txid);
  envelope->set_sender(options_.sender);
  envelope->set_size_hint(body.size());
  for (const std::string& rcpt : args) envelope->add_recipients()->set_address(rcpt);

  auto context = Context();
  v1::DeliverResponse resp;
  auto writer = Mailboxes().Deliver(context.get(), &resp);
  bool ok = writer->Write(first);
  for (size_t off = 0; ok && off < body.size(); off += kChunk) {
    v1::DeliverRequest chunk;
    chunk.mutable_chunk()->set_data(body.substr(off, kChunk));
    ok = writer->Write(chunk);
  }
  if (ok) writer->WritesDone();
  grpc::Status s = writer->Finish();
  if (!s.ok()) return Fail(s, Backend::kMailboxStore);
  out_ << "transaction " << txid << "\n";
  Table table({"RECIPIENT", "RESULT"});
  bool all_ok = true;
  for (const v1::RecipientResult& r : resp.results()) {
    table.Add({r.address(), DeliveryName(r.status())});
    all_ok = all_ok && (r.status() == v1::DELIVERY_STATUS_DELIVERED ||
                        r.status() == v1::DELIVERY_STATUS_DUPLICATE);
  }
  table.Print(out_);
  return all_ok ? kExitOk : kExitFailed;
}

}  // namespace mail::mailctl
