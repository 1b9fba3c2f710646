// SEARCH and UID SEARCH (RFC 3501 §6.4.4, ESEARCH RETURN (MIN MAX COUNT ALL) of RFC 4731,
// SAVE and "$" of RFC 5182). Flags, UIDs, sizes and internal dates are matched against the
// session's snapshot. Header keys (SUBJECT, FROM, HEADER ...) go to mailbox-store in one
// SearchMessages call, which matches the decoded fields in SQL. BODY, TEXT and the SENT*
// dates read each message once (in FetchBodies batches); BODY and TEXT match
// case-insensitive substrings of the decoded text parts (and header fields), header keys
// the raw field when the store lacks SearchMessages.
// No EXPUNGE is sent during SEARCH (RFC 3501 §7.4.1).
#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/imap-access/session.h"
#include "services/libs/imap/date_time.h"
#include "services/libs/imap/message_sections.h"
#include "services/libs/imap/response.h"
#include "services/libs/imap/search.h"
#include "services/libs/imap/sequence_set.h"
#include "services/libs/mail/encoded_words.h"
#include "services/libs/mail/header.h"
#include "services/libs/mail/mime.h"
#include "services/libs/mail/search_headers.h"

namespace mail::imap_access {
namespace {

using imap::SearchKey;
using Kind = SearchKey::Kind;

// The unfolded values of the header fields named `field` (upper case).
std::vector<std::string> HeaderValues(std::string_view header, std::string_view field) {
  std::vector<std::string> values;
  std::string* current = nullptr;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find('\n', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view line = header.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = end + 1;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      if (current != nullptr) current->append(line.data(), line.size());
      continue;
    }
    current = nullptr;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    absl::string_view name =
        absl::StripTrailingAsciiWhitespace(absl::string_view(line.data(), colon));
    if (absl::EqualsIgnoreCase(name, absl::string_view(field.data(), field.size()))) {
      values.emplace_back(line.substr(colon + 1));
      current = &values.back();
    }
  }
  return values;
}

// The day of the Date: header (RFC 3501: "disregarding time and timezone"), or -1.
int64_t SentDay(std::string_view header) {
  std::vector<std::string> dates = HeaderValues(header, "DATE");
  if (dates.empty()) return -1;
  std::string d = dates[0];
  size_t comma = d.find(',');
  if (comma != std::string::npos) d = d.substr(comma + 1);
  std::vector<std::string> words =
      absl::StrSplit(absl::StripAsciiWhitespace(d), ' ', absl::SkipWhitespace());
  if (words.size() < 3) return -1;
  absl::StatusOr<int64_t> day =
      imap::ParseDate(absl::StrCat(words[0], "-", words[1], "-", words[2]));
  return day.ok() ? *day : -1;
}

// The UIDs each HEADER key matched, as mailbox-store's SearchMessages answered.
using HeaderHits = std::map<const SearchKey*, std::vector<uint32_t>>;

struct Candidate {
  const SnapshotMessage* info;
  uint32_t seq;
  const std::string* body;  // null when no key needs it
  bool recent;              // \Recent in this session (RECENT, NEW, OLD)
  bool saved;               // in the saved result ("$", RFC 5182)
  const HeaderHits* header_hits;
  // What BODY and TEXT match, made on first use: the text parts decoded (transfer
  // encoding undone, charset converted to UTF-8), and the header fields decoded, both
  // case-folded (mime::FoldForSearch).
  mutable std::optional<std::string> text, header;

  const std::string& FoldedText() const {
    if (!text) text = mime::FoldForSearch(mime::SearchableText(*body, mime::Parse(*body)));
    return *text;
  }
  const std::string& FoldedHeader() const {
    if (!header) {
      std::string decoded;
      std::string_view raw(*body);
      for (const mime::HeaderField& f :
           mime::ParseHeader(raw.substr(0, HeaderSectionLength(raw)))) {
        absl::StrAppend(&decoded, f.name, ": ", mime::DecodeEncodedWords(f.value), "\n");
      }
      header = mime::FoldForSearch(decoded);
    }
    return *header;
  }
};

bool HasFlagHere(const Candidate& c, const std::string& flag) {
  // \Recent is session state, not a stored flag (RFC 3501 §2.3.2).
  if (absl::EqualsIgnoreCase(flag, "\\Recent")) return c.recent;
  return HasFlag(*c.info, flag);
}

bool Matches(const SearchKey& key, const Candidate& c, uint32_t max_seq, uint32_t max_uid) {
  switch (key.kind) {
    case Kind::kAll:
      return true;
    case Kind::kAnd:
      for (const SearchKey& k : key.children) {
        if (!Matches(k, c, max_seq, max_uid)) return false;
      }
      return true;
    case Kind::kOr:
      return Matches(key.children[0], c, max_seq, max_uid) ||
             Matches(key.children[1], c, max_seq, max_uid);
    case Kind::kNot:
      return !Matches(key.children[0], c, max_seq, max_uid);
    case Kind::kSequence:
      if (key.set.saved()) return c.saved;
      return key.set.Contains(c.seq, max_seq);
    case Kind::kUid:
      if (key.set.saved()) return c.saved;
      return key.set.Contains(c.info->uid(), max_uid);
    case Kind::kFlag:
      return HasFlagHere(c, key.text);
    case Kind::kNoFlag:
      return !HasFlagHere(c, key.text);
    case Kind::kLarger:
      return static_cast<int64_t>(c.info->size()) > key.number;
    case Kind::kSmaller:
      return static_cast<int64_t>(c.info->size()) < key.number;
    case Kind::kBefore:
    case Kind::kOn:
    case Kind::kSince: {
      int64_t t = c.info->internal_date_unix();
      int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
      return key.kind == Kind::kBefore ? day < key.number
             : key.kind == Kind::kOn   ? day == key.number
                                       : day >= key.number;
    }
    case Kind::kHeader: {
      auto it = c.header_hits->find(&key);
      if (it == c.header_hits->end()) break;  // no SearchMessages: read the body below
      return std::binary_search(it->second.begin(), it->second.end(), c.info->uid());
    }
    default:
      break;
  }
  if (c.body == nullptr) return false;
  imap::MessageParts parts = imap::SplitMessage(*c.body);
  switch (key.kind) {
    case Kind::kSentBefore:
    case Kind::kSentOn:
    case Kind::kSentSince: {
      int64_t day = SentDay(parts.header);
      if (day < 0) return false;
      return key.kind == Kind::kSentBefore ? day < key.number
             : key.kind == Kind::kSentOn   ? day == key.number
                                           : day >= key.number;
    }
    case Kind::kHeader: {
      std::vector<std::string> values = HeaderValues(parts.header, key.field);
      for (const std::string& v : values) {
        if (mime::ContainsFolded(mime::DecodeEncodedWords(v), key.text)) return true;
      }
      // RFC 3501: HEADER with an empty string matches every message with the field.
      return false;
    }
    // RFC 3501 §6.4.4 (RFC 9051 §6.4.4.2): the decoded text, as Dovecot matches it, so
    // quoted-printable or base64 bodies and encoded-word headers are found.
    case Kind::kBody:
      return c.FoldedText().find(mime::FoldForSearch(key.text)) != std::string::npos;
    case Kind::kText: {
      const std::string needle = mime::FoldForSearch(key.text);
      return c.FoldedHeader().find(needle) != std::string::npos ||
             c.FoldedText().find(needle) != std::string::npos;
    }
    default:
      return false;
  }
}

}  // namespace

asio::awaitable<void> Session::CmdSearch(const imap::Command& cmd) {
  absl::StatusOr<imap::SearchProgram> program = imap::ParseSearch(cmd.args, rev2_);
  // The saved result as it was before this command ("SEARCH RETURN (SAVE) $ SEEN").
  const std::vector<uint32_t> saved = selected_->saved_uids;
  // RFC 5182 §2.1: a SEARCH with SAVE that fails leaves "$" empty, not as it was.
  if (imap::AsksToSave(cmd.args)) selected_->saved_uids.clear();
  if (!program.ok()) {
    std::string why(program.status().message());
    if (why == "BADCHARSET") {
      Tagged(cmd, "NO", "BADCHARSET (US-ASCII UTF-8)", "Unsupported charset");
    } else {
      Tagged(cmd, "BAD", "", why);
    }
    co_return;
  }
  // Header keys first, all in one call. A store without SearchMessages (an older
  // version during an upgrade) leaves them to the body scan.
  HeaderHits header_hits;
  std::vector<const SearchKey*> header_keys;
  program->root.CollectHeaderKeys(&header_keys);
  if (!header_keys.empty()) {
    v1::SearchMessagesRequest request;
    request.set_account(account_);
    request.set_mailbox(selected_->name);
    for (const SearchKey* key : header_keys) {
      v1::SearchMessagesRequest::HeaderMatch* match = request.add_matches();
      match->set_field(key->field);
      match->set_text(key->text);
    }
    absl::StatusOr<v1::SearchMessagesResponse> found = co_await mailbox_.SearchMessages(request);
    if (found.ok() && found->results_size() == request.matches_size()) {
      for (size_t i = 0; i < header_keys.size(); ++i) {
        const auto& uids = found->results(static_cast<int>(i)).uids();
        header_hits[header_keys[i]].assign(uids.begin(), uids.end());
      }
    } else if (!found.ok() && found.status().code() != absl::StatusCode::kUnimplemented) {
      BackendError(cmd, "SearchMessages", found.status());
      co_return;
    }
  }
  const SelectedMailbox& box = *selected_;
  const bool needs_body = program->root.NeedsBody(!header_hits.empty());
  // Every message's body when a key needs one, read in FetchBodies batches of up to
  // 256 messages / 1 MiB (BodyReader) in the order of the loop below.
  std::vector<BodyReader::Wanted> to_read;
  if (needs_body) {
    to_read.reserve(box.count());
    for (const SnapshotMessage& m : box.messages) to_read.push_back({m.uid(), m.size()});
  }
  BodyReader bodies(mailbox_, account_, box.name, std::move(to_read), 256);
  std::vector<uint32_t> hits, hit_uids;
  for (uint32_t i = 0; i < box.count(); ++i) {
    const SnapshotMessage& message = box.messages[i];
    std::string body;
    if (needs_body) {
      absl::StatusOr<std::string> fetched = co_await bodies.Next();
      if (fetched.status().code() == absl::StatusCode::kNotFound) continue;  // expunged
      if (!fetched.ok()) {
        BackendError(cmd, "FetchBody", fetched.status());
        co_return;
      }
      body = *std::move(fetched);
    }
    Candidate c{&message,
                i + 1,
                needs_body ? &body : nullptr,
                RecentHere(box, message.uid()),
                std::binary_search(saved.begin(), saved.end(), message.uid()),
                &header_hits,
                std::nullopt,
                std::nullopt};
    if (Matches(program->root, c, box.count(), box.max_uid())) {
      hits.push_back(cmd.uid ? message.uid() : i + 1);
      hit_uids.push_back(message.uid());
    }
  }
  if (program->return_save) {
    // Kept as UIDs (ascending like the hits), whichever form of SEARCH saved them:
    // "$" then names the same messages in UID and sequence-number commands.
    selected_->saved_uids = program->ResultToSave(hit_uids);
  }
  if (program->SaveOnly()) {
    // RFC 5182 §2.1: RETURN (SAVE) alone sends no ESEARCH.
  } else if (!program->esearch) {
    std::string line = "SEARCH";
    for (uint32_t n : hits) absl::StrAppend(&line, " ", n);
    Send(imap::Untagged(line));
  } else {
    std::string line = "ESEARCH (TAG ";
    imap::AppendString(&line, cmd.tag);
    line += ")";
    if (cmd.uid) line += " UID";
    if (!hits.empty()) {
      if (program->return_min) absl::StrAppend(&line, " MIN ", hits.front());
      if (program->return_max) absl::StrAppend(&line, " MAX ", hits.back());
    }
    if (program->return_count) absl::StrAppend(&line, " COUNT ", hits.size());
    if (program->return_all && !hits.empty()) {
      absl::StrAppend(&line, " ALL ", imap::FormatSequenceSet(hits));
    }
    Send(imap::Untagged(line));
  }
  Tagged(cmd, "OK", "", cmd.uid ? "UID SEARCH completed" : "SEARCH completed");
}

}  // namespace mail::imap_access
