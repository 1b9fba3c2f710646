// Fuzzes everything smtp-ingress does with a command line before any backend call:
// the verb split, MAIL/RCPT arguments (paths, ESMTP parameters), SASL PLAIN, xtext,
// address helpers, and the reply and Received: writers that echo client text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "services/libs/mail/address.h"
#include "services/libs/smtp/command.h"
#include "services/libs/smtp/dsn.h"
#include "services/libs/smtp/received.h"
#include "services/libs/smtp/reply.h"
#include "services/libs/smtp/sasl.h"

namespace {

// A reply must stay one wire line per text line whatever the text holds.
void CheckReply(const mail::smtp::Reply& reply) {
  std::string wire = reply.ToString();
  size_t lines = 0;
  for (size_t i = 0; i < wire.size(); ++i) {
    if (wire[i] == '\n') {
      if (i == 0 || wire[i - 1] != '\r') std::abort();
      ++lines;
    } else if (wire[i] == '\r' && (i + 1 >= wire.size() || wire[i + 1] != '\n')) {
      std::abort();
    }
  }
  if (lines != reply.lines.size()) std::abort();
}

void FuzzLine(std::string_view line) {
  mail::smtp::Command cmd = mail::smtp::ParseCommand(line);
  CheckReply(mail::smtp::Reply::Make(500, "5.5.2", line));
  for (bool utf8 : {false, true}) {
    auto mail_args = mail::smtp::ParseMailArgs(cmd.args, utf8);
    if (mail_args.ok() && !mail_args->path.null) {
      const mail::Mailbox& mb = mail_args->path.mailbox;
      if (mb.local_part.size() > 2 * mail::kMaxLocalPartLength + 2) std::abort();
      if (mb.domain.size() > mail::kMaxDomainLength) std::abort();
      if (!utf8 && mb.utf8) std::abort();
      // The canonical form must parse back to itself.
      auto again = mail::ParseMailbox(mb.ToString(), true);
      if (!again.ok() || again->ToString() != mb.ToString()) std::abort();
    }
    auto rcpt_args = mail::smtp::ParseRcptArgs(cmd.args, utf8);
    if (rcpt_args.ok() && rcpt_args->path.null) std::abort();  // <> is MAIL only
  }
  (void)mail::smtp::ParseEsmtpParams(cmd.args, true);
  std::string decoded;
  (void)mail::smtp::DecodeXtext(cmd.args, &decoded);
  (void)mail::smtp::DecodeSaslPlain(cmd.args);
  (void)mail::smtp::ParseDsnNotify(cmd.args);
  (void)mail::smtp::ParseDsnOrcpt(cmd.args);
  auto envid = mail::smtp::ParseDsnEnvid(cmd.args);
  if (envid.ok()) {
    // xtext must round-trip.
    std::string back;
    if (!mail::smtp::DecodeXtext(mail::smtp::EncodeXtext(*envid), &back) || back != *envid) {
      std::abort();
    }
  }
  std::string l, d;
  (void)mail::SplitAddress(cmd.args, &l, &d);
  (void)mail::SameAddress(cmd.args, line);

  mail::smtp::ReceivedInfo info;
  info.helo = cmd.args;
  info.client_ip = "192.0.2.1";
  info.hostname = "mx.example.test";
  info.id = "id";
  std::string received = mail::smtp::FormatReceived(info);
  // The HELO name is client text: it must not end the header or start another field.
  if (received.find("\r\n") != received.find("\r\n\t")) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // Each LF-terminated piece is one command line, as net::Stream::ReadLine gives them.
  size_t start = 0;
  while (start <= input.size()) {
    size_t lf = input.find('\n', start);
    std::string_view line = input.substr(start, lf == std::string_view::npos ? lf : lf - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    FuzzLine(line);
    if (lf == std::string_view::npos) break;
    start = lf + 1;
  }
  return 0;
}
