// DSN construction; see dsn.h. RFC 3464 (delivery-status fields), RFC 3462/6522
// (multipart/report), RFC 3461 (ORCPT, RET, ENVID), RFC 3834 (Auto-Submitted).
#include "services/outbound-relay/dsn.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/libs/delivery/classify.h"

namespace mail::outbound_relay {
namespace {

std::string Rfc5322Date(absl::Time t) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", t, absl::UTCTimeZone());
}

std::string Base64Lines(std::string_view text) {
  std::string b64;
  absl::Base64Escape(absl::string_view(text.data(), text.size()), &b64);
  std::string out;
  for (size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\r\n";
  return out;
}

std::string EncodedWord(std::string_view utf8) {
  std::string b64;
  absl::Base64Escape(absl::string_view(utf8.data(), utf8.size()), &b64);
  return "=?UTF-8?B?" + b64 + "?=";
}

// Line ends to CRLF (stored messages may use bare LF).
std::string Crlf(std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 40);
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < in.size() && in[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

const delivery::Cause& CauseOf(const DsnRecipient& r) {
  if (const delivery::Cause* c = delivery::FindCause(r.cause); c != nullptr) return *c;
  ParsedReply p = ParseStoredReply(r.last_reply);
  delivery::Outcome o;
  o.code = p.code;
  o.enhanced = p.status;
  o.text = p.text;
  return *delivery::Classify(o).cause;
}

// "mx.remote.test[127.0.0.2]" -> "mx.remote.test".
std::string MtaHost(std::string_view mta) {
  size_t bracket = mta.find('[');
  return std::string(bracket == std::string_view::npos || bracket == 0 ? mta
                                                                       : mta.substr(0, bracket));
}

// One field value kept on one line, without controls (the reply is untrusted text).
std::string OneLine(std::string_view s, size_t max = 900) {
  std::string out;
  for (char c : s.substr(0, std::min(s.size(), max))) {
    out += static_cast<unsigned char>(c) < ' ' ? ' ' : c;
  }
  return out;
}

}  // namespace

ParsedReply ParseStoredReply(std::string_view reply) {
  ParsedReply p;
  std::string_view rest = reply;
  if (rest.size() >= 3 && std::isdigit(static_cast<unsigned char>(rest[0])) &&
      std::isdigit(static_cast<unsigned char>(rest[1])) &&
      std::isdigit(static_cast<unsigned char>(rest[2])) && (rest.size() == 3 || rest[3] == ' ')) {
    p.code = (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
    rest = rest.substr(std::min<size_t>(4, rest.size()));
  }
  size_t sp = rest.find(' ');
  std::string_view first = rest.substr(0, sp);
  int dots = 0;
  bool ok = !first.empty() && (first[0] == '2' || first[0] == '4' || first[0] == '5');
  for (char c : first) {
    if (c == '.') {
      ++dots;
    } else if (!std::isdigit(static_cast<unsigned char>(c))) {
      ok = false;
    }
  }
  if (ok && dots == 2 && first.size() <= 11) {
    p.status = std::string(first);
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
  }
  p.text = std::string(rest);
  return p;
}

std::string DsnStatus(const DsnRecipient& r) {
  if (r.state == "delivered") return "2.0.0";
  ParsedReply p = ParseStoredReply(r.last_reply);
  if (!p.status.empty()) return p.status;
  std::string status(CauseOf(r).status.data(), CauseOf(r).status.size());
  char cls = p.code != 0 ? static_cast<char>('0' + p.code / 100) : status[0];
  if (cls != '4' && cls != '5') cls = r.state == "failed" ? '5' : '4';
  status[0] = cls;
  return status;
}

std::pair<std::string, std::string> DecodeOrcpt(std::string_view orcpt) {
  size_t semi = orcpt.find(';');
  if (semi == std::string_view::npos || semi == 0) return {"", ""};
  std::string type(orcpt.substr(0, semi));
  std::string value;
  std::string_view x = orcpt.substr(semi + 1);
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] == '+' && i + 2 < x.size() && std::isxdigit(static_cast<unsigned char>(x[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(x[i + 2]))) {
      value += static_cast<char>(std::stoi(std::string(x.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      value += x[i];
    }
  }
  return {type, OneLine(value, 512)};
}

std::string BuildDsn(const DsnWork& work, const DsnOptions& o) {
  bool any_failed = false, any_delivered = false;
  for (const auto& r : work.recipients) {
    any_failed = any_failed || r.state == "failed";
    any_delivered = any_delivered || r.state == "delivered";
  }
  const std::string boundary = absl::StrCat("=_dsn_", o.message_id);
  const absl::Time retry_until = work.created_at + o.lifetime;

  std::string subject_en, subject_ja, intro_en, intro_ja;
  if (work.delay) {
    subject_en = "Delayed Mail (still being retried)";
    subject_ja = "配送遅延のお知らせ（再試行中）";
    intro_en = absl::StrCat(
        "Your message has not been delivered yet to the recipients below. This is only a "
        "warning: the mail system will keep trying until ",
        Rfc5322Date(retry_until), ". You do not need to send it again.");
    intro_ja = absl::StrCat(
        "お送りいただいたメッセージは、まだ下記の宛先に配送されていません。"
        "これは警告のみのお知らせです。",
        Rfc5322Date(retry_until), "まで配送を再試行しますので、再送していただく必要はありません。");
  } else if (any_failed) {
    subject_en = "Undelivered Mail Returned to Sender";
    subject_ja = "配送できなかったメールのお知らせ";
    intro_en =
        "Your message could not be delivered to one or more recipients. The details are "
        "below.";
    intro_ja =
        "お送りいただいたメッセージを、下記の宛先に配送できませんでした。詳細は以下の"
        "とおりです。";
  } else {
    subject_en = "Successful Mail Delivery Report";
    subject_ja = "配送完了のお知らせ";
    intro_en = "Your message was delivered to the recipients below, as you asked to be told.";
    intro_ja = "ご依頼により、メッセージが下記の宛先に配送されたことをお知らせします。";
  }

  std::string en =
      absl::StrCat("This is the mail system at host ", o.hostname, ".\r\n\r\n", intro_en, "\r\n");
  std::string ja =
      absl::StrCat("このメールは ", o.hostname,
                   " のメールシステムから自動送信されています。\r\n\r\n", intro_ja, "\r\n");
  for (const auto& r : work.recipients) {
    const delivery::Cause& cause = CauseOf(r);
    const std::string status = DsnStatus(r);
    std::string perm_en, perm_ja;
    if (r.state == "delivered") {
      perm_en = "delivered.";
      perm_ja = "配送済みです。";
    } else if (work.delay) {
      perm_en =
          absl::StrCat("temporary; delivery is retried until ", Rfc5322Date(retry_until), ".");
      perm_ja = absl::StrCat("一時的なエラーです。", Rfc5322Date(retry_until),
                             "まで配送を再試行します。");
    } else if (status[0] == '5') {
      perm_en = "permanent; the message will not be retried.";
      perm_ja = "恒久的なエラーです。このメッセージの再送は行われません。";
    } else {
      perm_en = "temporary, but it lasted too long: delivery was given up.";
      perm_ja = "一時的なエラーでしたが、長時間解消しなかったため配送を断念しました。";
    }
    const std::string said =
        r.last_reply.empty()
            ? std::string()
            : (r.last_mta.empty()
                   ? OneLine(r.last_reply)
                   : absl::StrCat(OneLine(r.last_mta), " said: ", OneLine(r.last_reply)));
    absl::StrAppend(&en, "\r\n<", OneLine(r.address), ">\r\n",
                    "  What happened: ", std::string(cause.english), "\r\n",
                    "  Permanent or temporary: ", perm_en, "\r\n",
                    "  What you can do: ", std::string(cause.advice_en), "\r\n");
    absl::StrAppend(&ja, "\r\n<", OneLine(r.address), ">\r\n",
                    "  内容: ", std::string(cause.japanese), "\r\n",
                    "  恒久的か一時的か: ", perm_ja, "\r\n",
                    "  対処方法: ", std::string(cause.advice_ja), "\r\n");
    if (!said.empty()) {
      absl::StrAppend(&en, "  The receiving server's reply: ", said, "\r\n");
      absl::StrAppend(&ja, "  受信側サーバーの応答: ", said, "\r\n");
    }
  }
  const std::string human =
      absl::StrCat(en, "\r\n---------------------------------------- 日本語\r\n\r\n", ja);

  // message/delivery-status (RFC 3464 §2).
  std::string status = absl::StrCat("Reporting-MTA: dns; ", o.hostname, "\r\n");
  if (!work.envelope_id.empty()) {
    absl::StrAppend(&status, "Original-Envelope-Id: ", OneLine(work.envelope_id, 100), "\r\n");
  }
  absl::StrAppend(&status, "Arrival-Date: ", Rfc5322Date(work.created_at), "\r\n");
  for (const auto& r : work.recipients) {
    absl::StrAppend(&status, "\r\nFinal-Recipient: rfc822; ", OneLine(r.address), "\r\n");
    auto [type, original] = DecodeOrcpt(r.orcpt);
    if (!type.empty())
      absl::StrAppend(&status, "Original-Recipient: ", type, "; ", original, "\r\n");
    const char* action = r.state == "delivered" ? "delivered" : (work.delay ? "delayed" : "failed");
    absl::StrAppend(&status, "Action: ", action, "\r\n", "Status: ", DsnStatus(r), "\r\n");
    if (!r.last_mta.empty()) {
      absl::StrAppend(&status, "Remote-MTA: dns; ", OneLine(MtaHost(r.last_mta), 255), "\r\n");
    }
    ParsedReply p = ParseStoredReply(r.last_reply);
    if (p.code != 0) {
      absl::StrAppend(&status, "Diagnostic-Code: smtp; ", OneLine(r.last_reply), "\r\n");
    } else if (!r.last_reply.empty()) {
      absl::StrAppend(&status, "Diagnostic-Code: X-mailsuite; ", OneLine(r.last_reply), "\r\n");
    }
    absl::StrAppend(&status, "Last-Attempt-Date: ", Rfc5322Date(r.updated_at), "\r\n");
    if (work.delay)
      absl::StrAppend(&status, "Will-Retry-Until: ", Rfc5322Date(retry_until), "\r\n");
    if (!r.cause.empty())
      absl::StrAppend(&status, "X-Mailsuite-Cause: ", OneLine(r.cause, 64), "\r\n");
  }

  const bool full = work.ret == "FULL" && !work.delay && !any_delivered;
  std::string out = absl::StrCat(
      "From: Mail Delivery System <MAILER-DAEMON@", o.hostname, ">\r\n", "To: <",
      OneLine(work.sender), ">\r\n", "Subject: ", subject_en, " / ", EncodedWord(subject_ja),
      "\r\n", "Date: ", Rfc5322Date(o.now), "\r\n", "Message-ID: <", o.message_id, "@", o.hostname,
      ">\r\n", "Auto-Submitted: auto-replied\r\n", "MIME-Version: 1.0\r\n",
      "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"", boundary,
      "\"\r\n\r\n", "This is a MIME-encapsulated delivery status notification.\r\n\r\n");
  absl::StrAppend(&out, "--", boundary, "\r\n",
                  "Content-Type: text/plain; charset=utf-8\r\n"
                  "Content-Transfer-Encoding: base64\r\n"
                  "Content-Description: Notification\r\n\r\n",
                  Base64Lines(human), "\r\n");
  absl::StrAppend(&out, "--", boundary, "\r\n",
                  "Content-Type: message/delivery-status\r\n"
                  "Content-Description: Delivery report\r\n\r\n",
                  status, "\r\n");
  if (full) {
    absl::StrAppend(&out, "--", boundary, "\r\n",
                    "Content-Type: message/rfc822\r\n"
                    "Content-Description: Undelivered Message\r\n\r\n",
                    Crlf(work.body));
    if (out.size() < 2 || out.substr(out.size() - 2) != "\r\n") out += "\r\n";
  } else {
    std::string headers = Crlf(HeaderSection(work.body));
    while (headers.size() >= 2 && headers.substr(headers.size() - 2) == "\r\n") {
      headers.resize(headers.size() - 2);
    }
    absl::StrAppend(&out, "--", boundary, "\r\n",
                    "Content-Type: text/rfc822-headers\r\n"
                    "Content-Description: Message headers\r\n\r\n",
                    headers, "\r\n\r\n");
  }
  absl::StrAppend(&out, "--", boundary, "--\r\n");
  return out;
}

}  // namespace mail::outbound_relay
