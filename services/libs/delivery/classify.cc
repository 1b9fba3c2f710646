// The classification table; see classify.h. Enhanced codes: RFC 3463 (and RFC 7505
// X.1.10, RFC 7372 X.7.20-27 for sender authentication). Basic codes: RFC 5321 §4.2.
#include "services/libs/delivery/classify.h"

#include <algorithm>
#include <cctype>

namespace mail::delivery {
namespace {

constexpr char kRetryEn[] = "Nothing to do: delivery will be retried automatically.";
constexpr char kRetryJa[] = "特に操作は必要ありません。配送は自動的に再試行されます。";
constexpr char kReadReplyEn[] =
    "Read the receiving server's reply below for the reason; if it is unclear, ask your mail "
    "administrator.";
constexpr char kReadReplyJa[] =
    "理由は下記の受信側サーバーの応答をご確認ください。不明な場合はメール管理者にご相談ください。";

using P = Permanence;

const std::vector<Cause>& Table() {
  static const std::vector<Cause> table = {
      {"delivered", P::kSuccess, "2.0.0", "The message was delivered.",
       "メッセージは配送されました。", "Nothing to do.", "特に操作は必要ありません。"},
      {"mailbox_unknown", P::kPermanent, "5.1.1",
       "The address does not exist at the receiving server.",
       "受信側のサーバーにこのアドレスは存在しません。",
       "Check the part before the @ for typos, or ask the recipient for their current address.",
       "@より前の部分に入力ミスがないかご確認いただくか、受信者に現在のアドレスをお尋ねください。"},
      {"mailbox_unavailable", P::kPermanent, "5.2.0",
       "The receiving server refused delivery to this mailbox.",
       "受信側のサーバーがこのメールボックスへの配送を拒否しました。",
       "Check the address; if it is right, the server's reply below gives the reason.",
       "アドレスをご確認ください。正しい場合は、下記のサーバーの応答に理由が記載されています。"},
      {"address_invalid", P::kPermanent, "5.1.3",
       "The receiving server did not accept the address as written (not a valid mailbox name).",
       "受信側のサーバーは、このアドレスを正しいメールボックス名として受け付けませんでした。",
       "Check the address for typos and unusual characters.",
       "アドレスに入力ミスや使用できない文字が含まれていないかご確認ください。"},
      {"mailbox_moved", P::kPermanent, "5.1.6",
       "The recipient no longer receives mail at this address (moved, or not a user of that "
       "server).",
       "受信者はこのアドレスでメールを受け取っていません（移転済み、またはそのサーバーの利用者では"
       "ありません）。",
       "Ask the recipient for their new address.", "受信者に新しいアドレスをお尋ねください。"},
      {"mailbox_disabled", P::kPermanent, "5.2.1",
       "The recipient's mailbox is disabled and does not accept mail.",
       "受信者のメールボックスは無効になっており、メールを受け付けていません。",
       "Contact the recipient by other means; the address may have been closed.",
       "別の方法で受信者にご連絡ください。アドレスが廃止された可能性があります。"},
      {"mailbox_full", P::kTemporary, "4.2.2", "The recipient's mailbox is full.",
       "受信者のメールボックスが満杯です。",
       "The recipient has to free up space; try again later or contact them another way.",
       "受信者が容量を空ける必要があります。時間をおいて再送いただくか、別の方法でご連絡ください"
       "。"},
      {"mailbox_busy", P::kTemporary, "4.2.0",
       "The recipient's mailbox is temporarily unavailable.",
       "受信者のメールボックスは一時的に利用できません。", kRetryEn, kRetryJa},
      {"system_full", P::kTemporary, "4.3.1", "The receiving server is short of storage space.",
       "受信側のサーバーの記憶領域が不足しています。", kRetryEn, kRetryJa},
      {"too_many_recipients", P::kTemporary, "4.5.3",
       "The receiving server limits the number of recipients per message.",
       "受信側のサーバーが1通あたりの受信者数を制限しています。",
       "Nothing to do if delivery is retried; otherwise send to fewer recipients at a time.",
       "再試行される場合は操作不要です。そうでない場合は、一度に送る受信者の数を減らしてください"
       "。"},
      {"message_too_large", P::kPermanent, "5.3.4",
       "The message is larger than the receiving server accepts.",
       "メッセージのサイズが受信側のサーバーの上限を超えています。",
       "Send a smaller message; share large attachments through a link instead.",
       "メッセージを小さくしてお送りください。大きな添付ファイルは共有リンクなどでお送りください"
       "。"},
      {"domain_not_found", P::kPermanent, "5.1.2", "The domain after the @ does not exist.",
       "@より後ろのドメインが存在しません。", "Check the part after the @ for typos.",
       "@より後ろの部分に入力ミスがないかご確認ください。"},
      {"domain_invalid", P::kPermanent, "5.1.2", "The part after the @ is not a valid domain name.",
       "@より後ろの部分が正しいドメイン名ではありません。", "Check the part after the @ for typos.",
       "@より後ろの部分に入力ミスがないかご確認ください。"},
      {"domain_no_mail", P::kPermanent, "5.4.4",
       "The domain exists but has no mail server (no MX and no address records).",
       "ドメインは存在しますが、メールサーバーが設定されていません（MXレコードもアドレスも"
       "ありません）。",
       "Check the domain; if it is right, the recipient's domain administrator must fix its DNS.",
       "ドメインをご確認ください。正しい場合は、受信者側のドメイン管理者がDNS設定を修正する必要が"
       "あります。"},
      {"null_mx", P::kPermanent, "5.1.10",
       "The domain declares that it accepts no email at all (null MX, RFC 7505).",
       "このドメインはメールを一切受け付けないと宣言しています（null MX、RFC 7505）。",
       "Use another address for this recipient.", "この受信者には別のアドレスをご利用ください。"},
      {"dns_timeout", P::kTemporary, "4.4.3",
       "The receiving domain's name server did not answer; delivery will be retried.",
       "受信側ドメインのネームサーバーが応答しませんでした。配送は再試行されます。",
       "Nothing to do for now; if it goes on, the recipient's domain administrator should check "
       "their DNS.",
       "現時点で操作は必要ありません。長く続く場合は、受信者側のドメイン管理者にDNSの確認を"
       "ご依頼ください。"},
      {"connection_refused", P::kTemporary, "4.4.1",
       "The receiving mail server refused the connection.",
       "受信側のメールサーバーが接続を拒否しました。", kRetryEn, kRetryJa},
      {"connection_timeout", P::kTemporary, "4.4.1", "The receiving mail server did not answer.",
       "受信側のメールサーバーから応答がありませんでした。", kRetryEn, kRetryJa},
      {"host_unreachable", P::kTemporary, "4.4.1",
       "The receiving mail server could not be reached over the network.",
       "ネットワーク上で受信側のメールサーバーに到達できませんでした。", kRetryEn, kRetryJa},
      {"connection_failed", P::kTemporary, "4.4.1",
       "No mail server of the receiving domain could be reached.",
       "受信側ドメインのメールサーバーのいずれにも接続できませんでした。", kRetryEn, kRetryJa},
      {"connection_lost", P::kTemporary, "4.4.2",
       "The connection to the receiving server was lost during delivery.",
       "配送中に受信側のサーバーとの接続が切断されました。", kRetryEn, kRetryJa},
      {"tls_failure", P::kTemporary, "4.7.0",
       "The encrypted connection (TLS) to the receiving server could not be set up.",
       "受信側のサーバーとの暗号化接続（TLS）を確立できませんでした。", kRetryEn, kRetryJa},
      {"service_unavailable", P::kTemporary, "4.3.2",
       "The receiving server is busy or shutting down and asked us to try later.",
       "受信側のサーバーが混雑しているか停止中のため、後で再試行するよう求められました。", kRetryEn,
       kRetryJa},
      {"remote_server_error", P::kTemporary, "4.3.0",
       "The receiving server had an internal error while processing the message.",
       "受信側のサーバーでメッセージの処理中にエラーが発生しました。", kRetryEn, kRetryJa},
      {"greylisted", P::kTemporary, "4.7.1",
       "The receiving server asked us to try again later (greylisting, a common anti-spam "
       "measure).",
       "受信側のサーバーから、後で再送するよう求められました（迷惑メール対策のグレーリスティング"
       "です）。",
       "Nothing to do: the retry normally succeeds within an hour.",
       "特に操作は必要ありません。通常は1時間以内の再送で配送されます。"},
      {"rate_limited", P::kTemporary, "4.7.0",
       "The receiving server is limiting how much mail it accepts from us right now.",
       "受信側のサーバーが、現在こちらから受け付けるメールの量を制限しています。", kRetryEn,
       kRetryJa},
      {"policy_rejection", P::kPermanent, "5.7.1",
       "The receiving server refused the message for policy reasons.",
       "受信側のサーバーがポリシー上の理由でメッセージを拒否しました。",
       "Read the server's reply below; if it mentions spam or a blocklist, contact your mail "
       "administrator.",
       "下記のサーバーの応答をご確認ください。迷惑メールやブロックリストに関する記載がある場合は、"
       "メール管理者にご相談ください。"},
      {"spam_rejection", P::kPermanent, "5.7.1",
       "The receiving server classified the message as spam.",
       "受信側のサーバーがメッセージを迷惑メールと判定しました。",
       "Remove suspicious links and attachments or contact the recipient another way; your mail "
       "administrator can check the sending reputation.",
       "不審なリンクや添付ファイルを外すか、別の方法で受信者にご連絡ください。送信元の評価は"
       "メール管理者が確認できます。"},
      {"sender_authentication", P::kPermanent, "5.7.26",
       "The receiving server could not verify that the message comes from the sender's domain "
       "(SPF, DKIM, DMARC or reverse DNS).",
       "受信側のサーバーは、メッセージが送信者のドメインから送られたことを確認できませんでした"
       "（SPF、DKIM、DMARC または逆引きDNS）。",
       "Ask your mail administrator to check the domain's SPF, DKIM and DMARC records.",
       "メール管理者に、ドメインのSPF・DKIM・DMARCの設定確認をご依頼ください。"},
      {"sender_rejected", P::kPermanent, "5.1.7",
       "The receiving server refused the sender address.",
       "受信側のサーバーが送信者アドレスを拒否しました。",
       "Check that your sender address is right and that its domain exists.",
       "送信者アドレスが正しく、そのドメインが存在することをご確認ください。"},
      {"protocol_error", P::kPermanent, "5.5.0",
       "The receiving server did not accept our SMTP commands.",
       "受信側のサーバーがこちらのSMTPコマンドを受け付けませんでした。",
       "Contact your mail administrator.", "メール管理者にご相談ください。"},
      {"content_rejected", P::kPermanent, "5.6.0",
       "The receiving server could not accept the message's content or format.",
       "受信側のサーバーはメッセージの内容または形式を受け付けられませんでした。", kReadReplyEn,
       kReadReplyJa},
      {"smtputf8_unsupported", P::kPermanent, "5.6.7",
       "The message needs internationalized mail (SMTPUTF8), which the receiving server does not "
       "support.",
       "このメッセージには国際化メール（SMTPUTF8）が必要ですが、受信側のサーバーは対応していません"
       "。",
       "Use an address made of ASCII characters only for this recipient.",
       "この受信者にはASCII文字のみのアドレスをご利用ください。"},
      {"routing_loop", P::kPermanent, "5.4.6",
       "The message went round in a loop between mail servers.",
       "メッセージがメールサーバー間でループしました。", "Contact your mail administrator.",
       "メール管理者にご相談ください。"},
      {"message_expired", P::kPermanent, "4.4.7",
       "Delivery kept failing temporarily and the message stayed in the queue too long, so it "
       "was given up.",
       "一時的な配送失敗が続き、キューの保持期間を過ぎたため、配送を断念しました。",
       "Try again later, or contact the recipient another way.",
       "時間をおいて再送いただくか、別の方法で受信者にご連絡ください。"},
      {"suppressed", P::kPermanent, "5.1.1",
       "Delivery to this address was not attempted: earlier mail to it failed repeatedly, so it "
       "is suppressed for a while.",
       "このアドレスへの過去の配送が繰り返し失敗しているため、一定期間配送を停止しており、今回は"
       "配送を試みませんでした。",
       "Check the address; your mail administrator can lift the suppression (mailctl "
       "suppression remove).",
       "アドレスをご確認ください。配送停止はメール管理者が解除できます（mailctl suppression "
       "remove）。"},
      {"mailbox_store_unavailable", P::kTemporary, "4.3.0",
       "Our own mailbox store was temporarily unavailable.",
       "こちらのメールボックスストアが一時的に利用できませんでした。", kRetryEn, kRetryJa},
      {"other_temporary", P::kTemporary, "4.0.0",
       "The receiving server reported a temporary problem.",
       "受信側のサーバーが一時的な問題を報告しました。", kRetryEn, kRetryJa},
      {"other_permanent", P::kPermanent, "5.0.0", "The receiving server refused the message.",
       "受信側のサーバーがメッセージを拒否しました。", kReadReplyEn, kReadReplyJa},
  };
  return table;
}

const Cause& Get(std::string_view id) {
  const Cause* c = FindCause(id);
  return c != nullptr ? *c : Table().back();
}

bool ContainsWord(std::string_view text, std::string_view word) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return lower.find(word) != std::string::npos;
}

bool Greylisting(std::string_view text) {
  return ContainsWord(text, "greylist") || ContainsWord(text, "graylist") ||
         ContainsWord(text, "grey-list") || ContainsWord(text, "gray-list");
}

// "5.1.10" -> {5, 1, 10}; false when not an enhanced code.
bool ParseEnhanced(std::string_view e, int* cls, int* subject, int* detail) {
  int parts[3] = {0, 0, 0};
  size_t i = 0;
  for (int p = 0; p < 3; ++p) {
    size_t start = i;
    while (i < e.size() && std::isdigit(static_cast<unsigned char>(e[i])) && i - start < 3) {
      parts[p] = parts[p] * 10 + (e[i] - '0');
      ++i;
    }
    if (i == start) return false;
    if (p < 2) {
      if (i >= e.size() || e[i] != '.') return false;
      ++i;
    }
  }
  if (i != e.size() || (parts[0] != 2 && parts[0] != 4 && parts[0] != 5)) return false;
  *cls = parts[0];
  *subject = parts[1];
  *detail = parts[2];
  return true;
}

// Cause of an enhanced code, or nullptr when the code says nothing specific (X.0.0 and
// unknown details): the basic reply code decides then.
const Cause* ByEnhanced(int cls, int subject, int detail, std::string_view text) {
  if (Greylisting(text)) return &Get("greylisted");
  switch (subject) {
    case 1:  // addressing
      switch (detail) {
        case 1:
          return &Get("mailbox_unknown");
        case 2:
          return &Get("domain_not_found");
        case 0:
        case 3:
        case 4:
          return &Get("address_invalid");
        case 6:
          return &Get("mailbox_moved");
        case 7:
        case 8:
          return &Get("sender_rejected");
        case 10:
          return &Get("null_mx");
      }
      return nullptr;
    case 2:  // mailbox
      switch (detail) {
        case 1:
          return &Get("mailbox_disabled");
        case 2:
          return &Get("mailbox_full");
        case 3:
          return &Get("message_too_large");
        case 0:
          return cls == 4 ? &Get("mailbox_busy") : &Get("mailbox_unavailable");
      }
      return nullptr;
    case 3:  // mail system
      switch (detail) {
        case 1:
          return &Get("system_full");
        case 2:
          return &Get("service_unavailable");
        case 4:
          return &Get("message_too_large");
        case 0:
        case 5:
          return &Get("remote_server_error");
      }
      return nullptr;
    case 4:  // network and routing
      switch (detail) {
        case 1:
          return &Get("connection_failed");
        case 2:
          return &Get("connection_lost");
        case 3:
          return cls == 4 ? &Get("dns_timeout") : &Get("domain_no_mail");
        case 4:
          return &Get("domain_no_mail");
        case 5:
          return &Get("service_unavailable");
        case 6:
          return &Get("routing_loop");
        case 7:
          return &Get("message_expired");
      }
      return nullptr;
    case 5:  // protocol
      return detail == 3 ? &Get("too_many_recipients") : &Get("protocol_error");
    case 6:  // content
      return detail == 7 ? &Get("smtputf8_unsupported") : &Get("content_rejected");
    case 7:  // security and policy
      if (ContainsWord(text, "spam")) return &Get("spam_rejection");
      if (detail == 7 || (detail >= 20 && detail <= 27) || detail == 23) {
        return &Get("sender_authentication");
      }
      if (cls == 4) return detail == 28 || detail == 0 ? &Get("rate_limited") : nullptr;
      return &Get("policy_rejection");
  }
  return nullptr;
}

const Cause& ByBasicCode(int code, std::string_view text) {
  if (Greylisting(text)) return Get("greylisted");
  switch (code) {
    case 421:
      return Get("service_unavailable");
    case 450:
      return Get("mailbox_busy");
    case 451:
      return Get("remote_server_error");
    case 452:
      return Get("system_full");
    case 550:
      if (ContainsWord(text, "unknown") || ContainsWord(text, "no such") ||
          ContainsWord(text, "does not exist")) {
        return Get("mailbox_unknown");
      }
      if (ContainsWord(text, "spam")) return Get("spam_rejection");
      return Get("mailbox_unavailable");
    case 551:
      return Get("mailbox_moved");
    case 552:
      return Get("mailbox_full");
    case 553:
      return Get("address_invalid");
    case 554:
      if (ContainsWord(text, "spam")) return Get("spam_rejection");
      return Get("policy_rejection");
    case 500:
    case 501:
    case 502:
    case 503:
    case 504:
    case 555:
      return Get("protocol_error");
  }
  if (code / 100 == 2) return Get("delivered");
  if (code / 100 == 5) return Get("other_permanent");
  return Get("other_temporary");
}

}  // namespace

const std::vector<Cause>& AllCauses() { return Table(); }

const Cause* FindCause(std::string_view id) {
  for (const Cause& c : Table()) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

std::string_view PermanenceName(Permanence p) {
  switch (p) {
    case Permanence::kSuccess:
      return "delivered";
    case Permanence::kTemporary:
      return "temporary";
    case Permanence::kPermanent:
      return "permanent";
  }
  return "?";
}

Classification Classify(const Outcome& o) {
  switch (o.connection) {
    case ConnectionFailure::kNone:
      break;
    case ConnectionFailure::kRefused:
      return {&Get("connection_refused"), Permanence::kTemporary};
    case ConnectionFailure::kTimeout:
      return {&Get("connection_timeout"), Permanence::kTemporary};
    case ConnectionFailure::kUnreachable:
      return {&Get("host_unreachable"), Permanence::kTemporary};
    case ConnectionFailure::kLost:
      return {&Get("connection_lost"), Permanence::kTemporary};
    case ConnectionFailure::kTls:
      return {&Get("tls_failure"), Permanence::kTemporary};
  }
  switch (o.dns) {
    case DnsOutcome::kNone:
      break;
    case DnsOutcome::kNxdomain:
      return {&Get("domain_not_found"), Permanence::kPermanent};
    case DnsOutcome::kNoData:
      return {&Get("domain_no_mail"), Permanence::kPermanent};
    case DnsOutcome::kNullMx:
      return {&Get("null_mx"), Permanence::kPermanent};
    case DnsOutcome::kTemporary:
      return {&Get("dns_timeout"), Permanence::kTemporary};
    case DnsOutcome::kInvalidName:
      return {&Get("domain_invalid"), Permanence::kPermanent};
  }
  int cls = 0, subject = 0, detail = 0;
  const bool has_enhanced = ParseEnhanced(o.enhanced, &cls, &subject, &detail);
  int reply_class = o.code / 100;
  if (o.code == 0 && has_enhanced) reply_class = cls;
  Permanence permanence = reply_class == 2   ? Permanence::kSuccess
                          : reply_class == 5 ? Permanence::kPermanent
                                             : Permanence::kTemporary;
  if (reply_class == 2) return {&Get("delivered"), permanence};
  if (has_enhanced) {
    if (const Cause* c = ByEnhanced(cls, subject, detail, o.text); c != nullptr) {
      return {c, permanence};
    }
  }
  if (o.code != 0) return {&ByBasicCode(o.code, o.text), permanence};
  if (has_enhanced) {
    return {&Get(permanence == Permanence::kPermanent ? "other_permanent" : "other_temporary"),
            permanence};
  }
  return {&Get("other_temporary"), Permanence::kTemporary};
}

}  // namespace mail::delivery
