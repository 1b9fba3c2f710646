// FETCH and UID FETCH (RFC 3501 §6.4.5, §6.4.8, §7.4.2): message data by sequence
// number or UID. Bodies come from mailbox-store once per message and are cut into
// sections here (libs/imap/message_sections.h).
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/imap-access/session.h"
#include "services/libs/imap/fetch_attributes.h"
#include "services/libs/imap/message_sections.h"
#include "services/libs/imap/response.h"
#include "services/libs/imap/sequence_set.h"

namespace mail::imap_access {
namespace {

using imap::FetchAttribute;

// Items this server cannot answer yet (issue 5: ENVELOPE and BODYSTRUCTURE from the
// structure parsed at delivery; MIME part sections): why, or empty when all are fine.
std::string Unsupported(const std::vector<FetchAttribute>& items) {
  for (const FetchAttribute& item : items) {
    switch (item.kind) {
      case FetchAttribute::Kind::kEnvelope:
      case FetchAttribute::Kind::kBodyStructure:
      case FetchAttribute::Kind::kBody:
        return item.ResponseName() + " is not supported yet";
      case FetchAttribute::Kind::kBodySection:
        if (!item.section.part.empty()) return "MIME part sections are not supported yet";
        break;
      default:
        break;
    }
  }
  return "";
}

// The octets of a body section, before any <partial> cut.
std::string SectionData(const FetchAttribute& item, std::string_view message) {
  imap::MessageParts parts = imap::SplitMessage(message);
  switch (item.kind) {
    case FetchAttribute::Kind::kRfc822:
      return std::string(message);
    case FetchAttribute::Kind::kRfc822Header:
      return std::string(parts.header);
    case FetchAttribute::Kind::kRfc822Text:
      return std::string(parts.text);
    default:
      break;
  }
  using Text = imap::Section::Text;
  switch (item.section.text) {
    case Text::kHeader:
      return std::string(parts.header);
    case Text::kText:
      return std::string(parts.text);
    case Text::kHeaderFields:
    case Text::kHeaderFieldsNot:
      return imap::FilterHeaderFields(parts.header, item.section.fields,
                                      item.section.text == Text::kHeaderFieldsNot);
    case Text::kAll:
    case Text::kMime:
      break;
  }
  return std::string(message);
}

}  // namespace

asio::awaitable<void> Session::CmdFetch(const imap::Command& cmd) {
  if (cmd.args.size() != 2 || !cmd.args[0].IsAtom()) {
    Tagged(cmd, "BAD", "", "Usage: FETCH sequence-set items");
    co_return;
  }
  absl::StatusOr<imap::SequenceSet> set = imap::SequenceSet::Parse(cmd.args[0].value);
  if (!set.ok()) {
    Tagged(cmd, "BAD", "", std::string(set.status().message()));
    co_return;
  }
  absl::StatusOr<std::vector<FetchAttribute>> items = imap::ParseFetchAttributes(cmd.args[1]);
  if (!items.ok()) {
    Tagged(cmd, "BAD", "", std::string(items.status().message()));
    co_return;
  }
  if (std::string missing = Unsupported(*items); !missing.empty()) {
    Tagged(cmd, "NO", "CANNOT", missing);
    co_return;
  }
  SelectedMailbox& box = *selected_;
  if (!cmd.uid) {
    // RFC 3501 §9 (note on sequence numbers): a number above the mailbox size, or "*"
    // in an empty mailbox, is a client error.
    if (set->max_explicit() > box.count() || (set->has_star() && box.count() == 0)) {
      Tagged(cmd, "BAD", "", "Invalid message sequence number");
      co_return;
    }
  } else {
    // RFC 3501 §6.4.8: UID FETCH always returns UIDs.
    bool has_uid = false;
    for (const FetchAttribute& item : *items) has_uid |= item.kind == FetchAttribute::Kind::kUid;
    if (!has_uid) {
      FetchAttribute uid;
      uid.kind = FetchAttribute::Kind::kUid;
      items->insert(items->begin(), uid);
    }
  }
  bool needs_body = false, sets_seen = false, has_flags = false;
  for (const FetchAttribute& item : *items) {
    needs_body |= item.NeedsBody();
    sets_seen |= item.SetsSeen();
    has_flags |= item.kind == FetchAttribute::Kind::kFlags;
  }
  // RFC 3501 §6.4.5: BODY[...] (not PEEK), RFC822 and RFC822.TEXT set \Seen, and the
  // response then carries the new FLAGS. Stored before the data is sent, in one call.
  std::set<uint32_t> now_seen;
  if (sets_seen && !box.read_only) {
    const uint32_t top = cmd.uid ? box.max_uid() : box.count();
    v1::StoreFlagsRequest request;
    for (uint32_t i = 0; i < box.count(); ++i) {
      const v1::MessageInfo& m = box.messages[i];
      if (set->Contains(cmd.uid ? m.uid() : i + 1, top) && !HasFlag(m, "\\Seen")) {
        request.add_uids(m.uid());
      }
    }
    if (request.uids_size() > 0) {
      request.set_account(account_);
      request.set_mailbox(box.name);
      request.set_operation(v1::FLAG_OPERATION_ADD);
      request.add_flags("\\Seen");
      absl::StatusOr<v1::StoreFlagsResponse> stored = co_await mailbox_.StoreFlags(request);
      if (!stored.ok()) {
        BackendError(cmd, "StoreFlags", stored.status());
        co_return;
      }
      std::map<uint32_t, const v1::MessageInfo*> by_uid;
      for (const auto& m : stored->messages()) by_uid[m.uid()] = &m;
      for (auto& m : box.messages) {
        auto it = by_uid.find(m.uid());
        if (it == by_uid.end()) continue;
        m.mutable_flags()->CopyFrom(it->second->flags());
        m.set_modseq(it->second->modseq());
        now_seen.insert(m.uid());
      }
    }
  }
  const uint32_t star = cmd.uid ? box.max_uid() : box.count();
  bool expunged = false;
  for (uint32_t i = 0; i < box.count(); ++i) {
    const v1::MessageInfo& message = box.messages[i];
    if (!set->Contains(cmd.uid ? message.uid() : i + 1, star)) continue;
    std::string body;
    if (needs_body) {
      v1::FetchBodyRequest request;
      request.set_account(account_);
      request.set_mailbox(box.name);
      request.set_uid(message.uid());
      absl::StatusOr<std::string> fetched = co_await mailbox_.FetchBody(request);
      if (fetched.status().code() == absl::StatusCode::kNotFound) {
        // Expunged by another session since our snapshot; its EXPUNGE comes at the
        // next NOOP (not now: RFC 3501 §7.4.1 forbids it during FETCH).
        expunged = true;
        continue;
      }
      if (!fetched.ok()) {
        BackendError(cmd, "FetchBody", fetched.status());
        co_return;
      }
      body = *std::move(fetched);
    }
    std::string out = absl::StrCat("* ", i + 1, " FETCH (");
    bool first = true;
    for (const FetchAttribute& item : *items) {
      if (!first) out += ' ';
      first = false;
      out += item.ResponseName();
      out += ' ';
      switch (item.kind) {
        case FetchAttribute::Kind::kFlags:
          out += FormatFlags(message);
          break;
        case FetchAttribute::Kind::kUid:
          absl::StrAppend(&out, message.uid());
          break;
        case FetchAttribute::Kind::kInternalDate:
          out += imap::FormatInternalDate(message.internal_date_unix());
          break;
        case FetchAttribute::Kind::kRfc822Size:
          absl::StrAppend(&out, message.size());
          break;
        default: {
          std::string data = SectionData(item, body);
          std::string_view part = data;
          if (item.partial_offset) {
            part = imap::PartialRange(data, *item.partial_offset, item.partial_count);
          }
          // Always a literal: message text may hold any octet, and clients such as
          // curl expect "{n}" here.
          imap::AppendLiteral(&out, part);
          break;
        }
      }
    }
    if (!has_flags && now_seen.count(message.uid()) > 0) {
      absl::StrAppend(&out, " FLAGS ", FormatFlags(message));
    }
    out += ")\r\n";
    Send(std::move(out));
    if (out_.size() >= 64 * 1024) {
      bool flushed = co_await Flush();  // not in the condition: GCC 12 miscompiles that
      if (!flushed) {
        closing_ = true;
        co_return;
      }
    }
  }
  if (expunged) {
    Tagged(cmd, "NO", "EXPUNGEISSUED", "Some messages were expunged by another session");
  } else {
    Tagged(cmd, "OK", "", cmd.uid ? "UID FETCH completed" : "FETCH completed");
  }
}

}  // namespace mail::imap_access
