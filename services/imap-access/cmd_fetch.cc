// FETCH and UID FETCH (RFC 3501 §6.4.5, §6.4.8, §7.4.2): message data by sequence
// number or UID. Bodies come from mailbox-store once per message (in FetchBodies
// batches, see BodyReader in session.h) and are cut into sections here
// (libs/imap/message_sections.h).
#include <map>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/imap-access/session.h"
#include "services/libs/imap/fetch_attributes.h"
#include "services/libs/imap/message_sections.h"
#include "services/libs/imap/response.h"
#include "services/libs/imap/sequence_set.h"
#include "services/libs/mail/bodystructure.h"
#include "services/libs/mail/mime.h"

namespace mail::imap_access {
namespace {

using imap::FetchAttribute;

// The structure of one message as mailbox-store stored it at delivery (or as computed
// here from the body when the store has none).
struct Structure {
  std::string envelope, bodystructure, body;
  mime::PartTable table;
  bool ok = false;  // the part table decoded
};

// Items answered from the stored structure: ENVELOPE, BODYSTRUCTURE, BODY, and body
// sections or BINARY items with a part number.
bool NeedsStructure(const FetchAttribute& item) {
  switch (item.kind) {
    case FetchAttribute::Kind::kEnvelope:
    case FetchAttribute::Kind::kBodyStructure:
    case FetchAttribute::Kind::kBody:
      return true;
    case FetchAttribute::Kind::kBodySection:
    case FetchAttribute::Kind::kBinary:
    case FetchAttribute::Kind::kBinarySize:
      return !item.section.part.empty();
    default:
      return false;
  }
}

// Answered from the message's header section alone: RFC822.HEADER, BODY[HEADER] and
// BODY[HEADER.FIELDS (.NOT)] of the message itself (not of a part).
bool HeaderOnly(const FetchAttribute& item) {
  using Text = imap::Section::Text;
  if (item.kind == FetchAttribute::Kind::kRfc822Header) return true;
  return item.kind == FetchAttribute::Kind::kBodySection && item.section.part.empty() &&
         (item.section.text == Text::kHeader || item.section.text == Text::kHeaderFields ||
          item.section.text == Text::kHeaderFieldsNot);
}

std::string_view Range(std::string_view message, uint64_t begin, uint64_t end) {
  if (begin > message.size()) begin = message.size();
  if (end > message.size()) end = message.size();
  if (end < begin) end = begin;
  return message.substr(begin, end - begin);
}

// BODY[1.2...] (RFC 3501 §6.4.5): the part's content, its MIME header, or, for a
// message/rfc822 part, the embedded message's header (or some fields) and text. A part
// that does not exist, or HEADER/TEXT of a part that is no message, is an empty string
// (RFC 3501 leaves it open; see README "DECISIONS AND LIMITS").
std::string PartSectionData(const imap::Section& section, std::string_view message,
                            const Structure& structure) {
  if (!structure.ok) return "";
  std::optional<mime::SectionRange> r = mime::ResolveSection(structure.table, section.part);
  if (!r) return "";
  using Text = imap::Section::Text;
  switch (section.text) {
    case Text::kAll:
      return std::string(Range(message, r->body_begin, r->body_end));
    case Text::kMime:
      return std::string(Range(message, r->header_begin, r->header_end));
    case Text::kHeader:
    case Text::kHeaderFields:
    case Text::kHeaderFieldsNot: {
      if (!r->is_message) return "";
      std::string_view header = Range(message, r->message_header_begin, r->message_header_end);
      if (section.text == Text::kHeader) return std::string(header);
      return imap::FilterHeaderFields(header, section.fields,
                                      section.text == Text::kHeaderFieldsNot);
    }
    case Text::kText:
      if (!r->is_message) return "";
      return std::string(Range(message, r->message_text_begin, r->message_text_end));
  }
  return "";
}

// BINARY[part] (RFC 3516): the part's content with its Content-Transfer-Encoding
// undone; BINARY[] is the whole message as stored. False for an encoding this server
// cannot decode (the caller answers NO [UNKNOWN-CTE]).
bool BinaryData(const imap::Section& section, std::string_view message, const Structure& structure,
                std::string* out) {
  out->clear();
  if (section.part.empty()) {
    *out = std::string(message);
    return true;
  }
  if (!structure.ok) return true;
  std::optional<mime::SectionRange> r = mime::ResolveSection(structure.table, section.part);
  if (!r) return true;
  if (r->encoding == mime::Encoding::kOther && r->kind == mime::PartKind::kLeaf) return false;
  *out = mime::DecodeContent(Range(message, r->body_begin, r->body_end), r->encoding);
  return true;
}

// The octets of a body section (numbered ones via the part table), before any
// <partial> cut.
std::string SectionData(const FetchAttribute& item, std::string_view message,
                        const Structure& structure) {
  if (!item.section.part.empty()) return PartSectionData(item.section, message, structure);
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
  // Syntax first (BAD before the items are looked at); ResolveSet below maps it.
  absl::StatusOr<imap::SequenceSet> set = imap::SequenceSet::Parse(cmd.args[0].value, true);
  if (!set.ok()) {
    Tagged(cmd, "BAD", "", std::string(set.status().message()));
    co_return;
  }
  absl::StatusOr<std::vector<FetchAttribute>> items = imap::ParseFetchAttributes(cmd.args[1]);
  if (!items.ok()) {
    Tagged(cmd, "BAD", "", std::string(items.status().message()));
    co_return;
  }
  SelectedMailbox& box = *selected_;
  // RFC 3501 §9 (note on sequence numbers): a number above the mailbox size, or "*"
  // in an empty mailbox, is a client error (ResolveSet says BAD). "$" is the saved
  // SEARCH result (RFC 5182).
  std::vector<uint32_t> indexes;
  if (!ResolveSet(cmd, cmd.args[0], &indexes)) co_return;
  std::vector<bool> wanted(box.count(), false);
  for (uint32_t i : indexes) wanted[i] = true;
  if (cmd.uid) {
    // RFC 3501 §6.4.8: UID FETCH always returns UIDs.
    bool has_uid = false;
    for (const FetchAttribute& item : *items) has_uid |= item.kind == FetchAttribute::Kind::kUid;
    if (!has_uid) {
      FetchAttribute uid;
      uid.kind = FetchAttribute::Kind::kUid;
      items->insert(items->begin(), uid);
    }
  }
  bool needs_body = false, sets_seen = false, has_flags = false, needs_structure = false;
  bool headers_only = true;  // every body item needs the header section alone
  for (const FetchAttribute& item : *items) {
    needs_body |= item.NeedsBody();
    if (item.NeedsBody() && !HeaderOnly(item)) headers_only = false;
    needs_structure |= NeedsStructure(item);
    sets_seen |= item.SetsSeen();
    has_flags |= item.kind == FetchAttribute::Kind::kFlags;
  }
  // RFC 3501 §6.4.5: BODY[...] (not PEEK), RFC822 and RFC822.TEXT set \Seen, and the
  // response then carries the new FLAGS. Stored before the data is sent, in one call.
  std::set<uint32_t> now_seen;
  if (sets_seen && !box.read_only) {
    v1::StoreFlagsRequest request;
    for (uint32_t i = 0; i < box.count(); ++i) {
      const SnapshotMessage& m = box.messages[i];
      if (wanted[i] && !HasFlag(m, "\\Seen")) {
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
      for (size_t i = 0; i < box.messages.size(); ++i) {
        auto it = by_uid.find(box.messages[i].uid());
        if (it == by_uid.end()) continue;
        box.messages.Mutable()[i].SetFlags(it->second->flags());
        now_seen.insert(box.messages[i].uid());
      }
    }
  }
  // The stored structure of exactly the messages asked for, in one ListMessages call.
  std::map<uint32_t, v1::MessageInfo> stored_structure;
  if (needs_structure) {
    v1::ListMessagesRequest request;
    request.set_account(account_);
    request.set_mailbox(box.name);
    request.set_with_structure(true);
    for (uint32_t i = 0; i < box.count(); ++i) {
      const uint32_t uid = box.messages[i].uid();
      if (wanted[i]) request.add_uids(uid);
    }
    if (request.uids_size() > 0) {
      absl::StatusOr<v1::ListMessagesResponse> listed = co_await mailbox_.ListMessages(request);
      if (!listed.ok()) {
        BackendError(cmd, "ListMessages", listed.status());
        co_return;
      }
      for (v1::MessageInfo& m : *listed->mutable_messages()) {
        const uint32_t uid = m.uid();
        stored_structure[uid] = std::move(m);
      }
    }
  }
  // A message needs its body for a body item, or to compute its structure here when
  // the store has none. Those bodies are read in FetchBodies batches ahead of the
  // responses (BodyReader), in the order of the loop below.
  auto compute_here_for = [&](uint32_t uid) {
    auto it = stored_structure.find(uid);
    return it != stored_structure.end() &&
           (it->second.parts().empty() || it->second.envelope().empty());
  };
  std::vector<BodyReader::Wanted> to_read;
  for (uint32_t i = 0; i < box.count(); ++i) {
    const SnapshotMessage& message = box.messages[i];
    if (!wanted[i]) continue;
    if (needs_structure && stored_structure.count(message.uid()) == 0) continue;
    const bool compute_here = needs_structure && compute_here_for(message.uid());
    if (compute_here) headers_only = false;  // parsing the structure needs it all
    if (needs_body || compute_here) to_read.push_back({message.uid(), message.size()});
  }
  BodyReader bodies(mailbox_, account_, box.name, std::move(to_read), 64, 1 << 20, headers_only);
  bool expunged = false, unknown_cte = false;
  for (uint32_t i = 0; i < box.count(); ++i) {
    const SnapshotMessage& message = box.messages[i];
    if (!wanted[i]) continue;
    Structure structure;
    bool compute_here = false;
    if (needs_structure) {
      auto it = stored_structure.find(message.uid());
      if (it == stored_structure.end()) {
        expunged = true;  // gone since our snapshot, as with FetchBody below
        continue;
      }
      const v1::MessageInfo& info = it->second;
      if (info.parts().empty() || info.envelope().empty()) {
        compute_here = true;  // a store without the structure: parse the body here
      } else {
        absl::StatusOr<mime::PartTable> table = mime::DecodePartTable(info.parts());
        structure.ok = table.ok();
        if (table.ok()) structure.table = *std::move(table);
        structure.envelope = info.envelope();
        structure.bodystructure = info.bodystructure();
        structure.body = info.body();
      }
    }
    std::string body;
    if (needs_body || compute_here) {
      absl::StatusOr<std::string> fetched = co_await bodies.Next();
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
    if (compute_here) {
      mime::MessageStructure computed = mime::ComputeStructure(body);
      absl::StatusOr<mime::PartTable> table = mime::DecodePartTable(computed.parts);
      structure.ok = table.ok();
      if (table.ok()) structure.table = *std::move(table);
      structure.envelope = std::move(computed.envelope);
      structure.bodystructure = std::move(computed.bodystructure);
      structure.body = std::move(computed.body);
    }
    std::string out = absl::StrCat("* ", i + 1, " FETCH (");
    bool first = true, cte_ok = true;
    for (const FetchAttribute& item : *items) {
      if (!first) out += ' ';
      first = false;
      out += item.ResponseName();
      out += ' ';
      switch (item.kind) {
        case FetchAttribute::Kind::kFlags:
          out += FormatFlags(message, RecentHere(box, message.uid()));
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
        case FetchAttribute::Kind::kEnvelope:
          out += structure.envelope;
          break;
        case FetchAttribute::Kind::kBodyStructure:
          out += structure.bodystructure;
          break;
        case FetchAttribute::Kind::kBody:
          out += structure.body;
          break;
        case FetchAttribute::Kind::kBinary:
        case FetchAttribute::Kind::kBinarySize: {
          std::string data;
          cte_ok &= BinaryData(item.section, body, structure, &data);
          if (item.kind == FetchAttribute::Kind::kBinarySize) {
            absl::StrAppend(&out, data.size());
            break;
          }
          std::string_view part = data;
          if (item.partial_offset) {
            part = imap::PartialRange(data, *item.partial_offset, item.partial_count);
          }
          // RFC 3516 §4.3: decoded content with NUL octets goes as a literal8.
          if (part.find('\0') != std::string_view::npos) out += '~';
          imap::AppendLiteral(&out, part);
          break;
        }
        default: {
          std::string data = SectionData(item, body, structure);
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
      absl::StrAppend(&out, " FLAGS ", FormatFlags(message, RecentHere(box, message.uid())));
    }
    if (!cte_ok) {
      // RFC 3516 §4.3: NO [UNKNOWN-CTE]; this message's data is not sent.
      unknown_cte = true;
      continue;
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
  if (unknown_cte) {
    Tagged(cmd, "NO", "UNKNOWN-CTE", "Cannot decode the content transfer encoding of a part");
  } else if (expunged) {
    Tagged(cmd, "NO", "EXPUNGEISSUED", "Some messages were expunged by another session");
  } else {
    Tagged(cmd, "OK", "", cmd.uid ? "UID FETCH completed" : "FETCH completed");
  }
}

}  // namespace mail::imap_access
