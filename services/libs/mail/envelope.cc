// IMAP ENVELOPE; see envelope.h.
#include "services/libs/mail/envelope.h"

#include "services/libs/mail/imap_string.h"
#include "services/libs/mail/rfc822_lexer.h"

namespace mail::mime {
namespace {

// Bounds the output for hostile headers (a 1 MiB header of commas).
constexpr size_t kMaxAddresses = 10000;

class AddressParser {
 public:
  explicit AddressParser(std::string_view value) : lex_(value) {}

  std::vector<Address> Run() {
    while (out_.size() < kMaxAddresses) {
      if (!lex_.SkipCfws()) break;
      size_t before = lex_.pos();
      if (lex_.Peek() == ',' || lex_.Peek() == ';') {
        lex_.Advance();
        continue;
      }
      bool group = ParseAddress();
      lex_.SkipCfws();
      // Skip garbage up to the next separator (a group already ended at its ';').
      while (!group && !lex_.AtEnd() && lex_.Peek() != ',') {
        if (lex_.Peek() == '"') {
          std::string ignored;
          lex_.ReadQuotedString(&ignored);
        } else {
          lex_.Advance();
        }
      }
      if (lex_.pos() == before) lex_.Advance();  // always progress
    }
    return std::move(out_);
  }

 private:
  // phrase = 1*word / obs-phrase; words joined by one space (Dovecot's
  // rfc822_parse_phrase). Returns false when there is none.
  bool ReadPhrase(std::string* out) {
    bool any = false;
    while (!lex_.AtEnd()) {
      char c = lex_.Peek();
      std::string word;
      if (c == '"') {
        lex_.ReadQuotedString(&word);
      } else if (Rfc822Lexer::IsAtext(c) || c == '.') {
        lex_.ReadDotAtom(&word);
      } else {
        break;
      }
      if (any) out->push_back(' ');
      out->append(word);
      any = true;
      lex_.SkipCfws();
    }
    return any;
  }

  // Returns true when it was a group.
  bool ParseAddress() {
    size_t start = lex_.pos();
    std::string phrase;
    ReadPhrase(&phrase);
    if (lex_.Peek() == ':') {
      lex_.Advance();
      Address group;
      group.mailbox = phrase;
      out_.push_back(group);
      while (out_.size() < kMaxAddresses) {
        if (!lex_.SkipCfws()) break;
        if (lex_.Peek() == ';') {
          lex_.Advance();
          break;
        }
        if (lex_.Peek() == ',') {
          lex_.Advance();
          continue;
        }
        size_t before = lex_.pos();
        ParseMailbox();
        lex_.SkipCfws();
        while (!lex_.AtEnd() && lex_.Peek() != ',' && lex_.Peek() != ';') lex_.Advance();
        if (lex_.pos() == before) lex_.Advance();
      }
      out_.push_back(Address());  // group end
      return true;
    }
    lex_.set_pos(start);
    ParseMailbox();
    return false;
  }

  void ParseMailbox() {
    size_t start = lex_.pos();
    std::string phrase;
    if (lex_.Peek() != '<') ReadPhrase(&phrase);
    Address a;
    if (lex_.Peek() == '<') {
      if (!phrase.empty()) a.name = phrase;
      lex_.Advance();
      lex_.SkipCfws();
      if (lex_.Peek() == '@') {
        // Obsolete source route "@a,@b:" (RFC 5322 §4.4), kept as the adl.
        std::string route;
        while (!lex_.AtEnd() && lex_.Peek() != ':' && lex_.Peek() != '>') {
          char c = lex_.Peek();
          if (c != ' ' && c != '\t') route.push_back(c);
          lex_.Advance();
        }
        if (lex_.Peek() == ':') lex_.Advance();
        if (!route.empty()) a.adl = route;
        lex_.SkipCfws();
      }
      ReadAddrSpec(&a);
      lex_.SkipCfws();
      if (lex_.Peek() == '>') lex_.Advance();
    } else {
      lex_.set_pos(start);
      lex_.clear_last_comment();
      ReadAddrSpec(&a);
      lex_.SkipCfws();
      if (!lex_.last_comment().empty()) a.name = lex_.last_comment();
    }
    if (!a.mailbox || a.mailbox->empty()) a.mailbox = "MISSING_MAILBOX";
    if (!a.host || a.host->empty()) a.host = "MISSING_DOMAIN";
    out_.push_back(std::move(a));
  }

  void ReadAddrSpec(Address* a) {
    std::string local;
    while (!lex_.AtEnd()) {
      char c = lex_.Peek();
      if (c == '"') {
        lex_.ReadQuotedString(&local);
      } else if (Rfc822Lexer::IsAtext(c)) {
        lex_.ReadAtom(&local);
      } else {
        break;
      }
      lex_.SkipCfws();
      if (lex_.Peek() != '.') break;
      local.push_back('.');
      lex_.Advance();
      lex_.SkipCfws();
    }
    a->mailbox = local;
    if (lex_.Peek() != '@') return;
    lex_.Advance();
    lex_.SkipCfws();
    std::string domain;
    if (lex_.Peek() == '[') {
      while (!lex_.AtEnd()) {
        char c = lex_.Peek();
        lex_.Advance();
        if (c == '\\' && !lex_.AtEnd()) {
          domain.push_back(c);
          c = lex_.Peek();
          lex_.Advance();
        }
        domain.push_back(c);
        if (c == ']') break;
      }
    } else {
      while (!lex_.AtEnd() && Rfc822Lexer::IsAtext(lex_.Peek())) {
        lex_.ReadAtom(&domain);
        lex_.SkipCfws();
        if (lex_.Peek() != '.') break;
        domain.push_back('.');
        lex_.Advance();
        lex_.SkipCfws();
      }
    }
    a->host = domain;
  }

  Rfc822Lexer lex_;
  std::vector<Address> out_;
};

void AppendAddresses(const std::vector<Address>& list, std::string* out) {
  if (list.empty()) {
    out->append("NIL");
    return;
  }
  out->push_back('(');
  for (const Address& a : list) {
    out->push_back('(');
    AppendImapNString(out, a.name);
    out->push_back(' ');
    AppendImapNString(out, a.adl);
    out->push_back(' ');
    AppendImapNString(out, a.mailbox);
    out->push_back(' ');
    AppendImapNString(out, a.host);
    out->push_back(')');
  }
  out->push_back(')');
}

bool Is(std::string_view name, std::string_view want) {
  if (name.size() != want.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char a = name[i], b = want[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

}  // namespace

std::vector<Address> ParseAddressList(std::string_view value) { return AddressParser(value).Run(); }

Envelope ParseEnvelope(const std::vector<HeaderField>& fields) {
  Envelope e;
  // The last occurrence of a field wins, as in Dovecot.
  for (const HeaderField& f : fields) {
    const std::string& n = f.name;
    if (Is(n, "date")) {
      e.date = f.value;
    } else if (Is(n, "subject")) {
      e.subject = f.value;
    } else if (Is(n, "in-reply-to")) {
      e.in_reply_to = f.value;
    } else if (Is(n, "message-id")) {
      e.message_id = f.value;
    } else if (Is(n, "from")) {
      e.from = ParseAddressList(f.value);
    } else if (Is(n, "sender")) {
      e.sender = ParseAddressList(f.value);
    } else if (Is(n, "reply-to")) {
      e.reply_to = ParseAddressList(f.value);
    } else if (Is(n, "to")) {
      e.to = ParseAddressList(f.value);
    } else if (Is(n, "cc")) {
      e.cc = ParseAddressList(f.value);
    } else if (Is(n, "bcc")) {
      e.bcc = ParseAddressList(f.value);
    }
  }
  return e;
}

void AppendEnvelopeFields(const Envelope& e, std::string* out) {
  AppendImapNString(out, e.date);
  out->push_back(' ');
  AppendImapNString(out, e.subject);
  out->push_back(' ');
  AppendAddresses(e.from, out);
  out->push_back(' ');
  AppendAddresses(e.sender.empty() ? e.from : e.sender, out);
  out->push_back(' ');
  AppendAddresses(e.reply_to.empty() ? e.from : e.reply_to, out);
  out->push_back(' ');
  AppendAddresses(e.to, out);
  out->push_back(' ');
  AppendAddresses(e.cc, out);
  out->push_back(' ');
  AppendAddresses(e.bcc, out);
  out->push_back(' ');
  AppendImapNString(out, e.in_reply_to);
  out->push_back(' ');
  AppendImapNString(out, e.message_id);
}

std::string FormatEnvelope(const Envelope& envelope) {
  std::string out = "(";
  AppendEnvelopeFields(envelope, &out);
  out.push_back(')');
  return out;
}

}  // namespace mail::mime
