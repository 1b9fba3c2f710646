#include "services/libs/smtp/received.h"

#include <catch2/catch.hpp>

namespace mail::smtp {
namespace {

ReceivedInfo Base() {
  ReceivedInfo i;
  i.helo = "client.example";
  i.client_ip = "192.0.2.1";
  i.hostname = "mx.test";
  i.id = "txid";
  i.when = absl::FromUnixSeconds(1751364000);
  return i;
}

TEST_CASE("received: protocol names of RFC 3848 and RFC 6531") {
  ReceivedInfo i = Base();
  CHECK(WithProtocol(i) == "ESMTP");
  i.tls = true;
  CHECK(WithProtocol(i) == "ESMTPS");
  i.authenticated = true;
  CHECK(WithProtocol(i) == "ESMTPSA");
  i.tls = false;
  CHECK(WithProtocol(i) == "ESMTPA");
  i.smtputf8 = true;
  i.tls = true;
  CHECK(WithProtocol(i) == "UTF8SMTPSA");
  ReceivedInfo h = Base();
  h.esmtp = false;
  CHECK(WithProtocol(h) == "SMTP");
}

TEST_CASE("received: plain MX reception") {
  ReceivedInfo i = Base();
  i.for_rcpt = "bob@example.test";
  CHECK(FormatReceived(i) ==
        "Received: from client.example ([192.0.2.1])\r\n"
        "\tby mx.test (mailsuite) with ESMTP id txid\r\n"
        "\tfor <bob@example.test>; Tue, 01 Jul 2025 10:00:00 +0000\r\n");
}

TEST_CASE("received: TLS and authenticated submission, IPv6, hostile HELO") {
  ReceivedInfo i = Base();
  i.helo = "evil (x)\r\n;";
  i.client_ip = "2001:db8::1";
  i.tls = true;
  i.tls_version = "TLSv1.3";
  i.tls_cipher = "TLS_AES_256_GCM_SHA384";
  i.authenticated = true;
  i.auth_user = "alice@example.test";
  CHECK(FormatReceived(i) ==
        "Received: from evilx ([IPv6:2001:db8::1])\r\n"
        "\tby mx.test (mailsuite) with ESMTPSA id txid\r\n"
        "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384) (authenticated user "
        "alice@example.test)\r\n"
        "\t; Tue, 01 Jul 2025 10:00:00 +0000\r\n");
}

}  // namespace
}  // namespace mail::smtp
