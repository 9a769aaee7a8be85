// Free-text indicator files (issue 13): synthetic advisories in every form a
// responder receives, each with decoys (file names, version numbers,
// reference links, commit ids), and the exact set of indicators taken.
#include "trawl/ioc/freetext.h"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>

#include "test_util.h"
#include "trawl/ioc/inet.h"
#include "trawl/ioc/loader.h"
#include "trawl/ioc/psl.h"

namespace trawl::ioc {
namespace {

using testing::ProblemsText;

struct Loaded {
  LoadStats stats;
  IndicatorSet set;
  std::set<std::string> taken;  // "kind value"
  std::string NotesText() const {
    std::string out;
    for (const Problem& p : stats.notes) out += p.where + ": " + p.message + "\n";
    return out;
  }
  bool LeftWith(std::string_view text, std::string_view reason) const {
    for (const Problem& p : stats.notes)
      if (p.message.find(reason) != std::string::npos &&
          p.message.find(std::string(text)) != std::string::npos)
        return true;
    return false;
  }
  std::optional<Indicator> Find(std::string_view value) const {
    for (const Indicator& i : set.Materialize())
      if (i.value == value) return i;
    return std::nullopt;
  }
};

Loaded Load(std::string_view text, const std::string& name) {
  Loaded l;
  l.stats = LoadText(text, Format::kPlain, name, l.set);
  for (const Indicator& i : l.set.Materialize())
    l.taken.insert(std::string(KindName(i.kind)) + " " + i.value);
  return l;
}

TEST(FreeText, HeiseStyleGermanBullets) {
  const char* text =
      "BSI warnt vor kompromittierter 3CX-Software (Version 18.12.416.0 und 18.12.407).\n"
      "Quelle: https://www.heise.de/news/3CX-Lieferkette-12345.html\n"
      "Bild: Shutterstock.com\n"
      "\n"
      "C2-Domains:\n"
      "\xE2\x80\xA2 akamaicontainer[.]com\n"
      "\xE2\x80\xA2 akamaitechcloudservices[.]com\n"
      "\xE2\x80\xA2 azuredeploystore[.]com\n"
      "\n"
      "GitHub-Repository:\n"
      "\xE2\x80\xA2 github[.]com/IconStorages/images\n"
      "\n"
      "SHA-1-Hashes b\xC3\xB6sartiger Files:\n"
      "\xE2\x80\xA2 bf939c9c261d27ee7bb92325cc588624fca75429 | ffmpeg.dll\n"
      "\xE2\x80\xA2 20d554a80d759c50d6537dd7097fed84dd258b3e | d3dcompiler_47.dll\n"
      "Admins sollten 3CXDesktopApp-18.12.416.msi und update.exe pr\xC3\xBC"
      "fen.\n";
  Loaded l = Load(text, "heise.txt");
  std::set<std::string> want = {
      "domain akamaicontainer.com",
      "domain akamaitechcloudservices.com",
      "domain azuredeploystore.com",
      "url https://github.com/IconStorages/images",
      "sha1 bf939c9c261d27ee7bb92325cc588624fca75429",
      "sha1 20d554a80d759c50d6537dd7097fed84dd258b3e",
  };
  EXPECT_EQ(l.taken, want) << l.NotesText();
  EXPECT_TRUE(l.stats.problems.empty()) << ProblemsText(l.stats);
  // The descriptions: the rest of the line, else the heading above, plus the file.
  EXPECT_EQ(l.Find("bf939c9c261d27ee7bb92325cc588624fca75429")->description,
            "ffmpeg.dll (heise.txt)");
  EXPECT_EQ(l.Find("akamaicontainer.com")->description, "C2-Domains (heise.txt)");
  EXPECT_EQ(l.Find("https://github.com/IconStorages/images")->description,
            "GitHub-Repository (heise.txt)");
  EXPECT_EQ(l.Find("akamaicontainer.com")->source, "heise.txt:6");
  // What was left, and why.
  EXPECT_TRUE(l.LeftWith("Shutterstock.com", "not taken: not defanged, likely a reference"))
      << l.NotesText();
  EXPECT_TRUE(l.LeftWith("www.heise.de", "not taken: not defanged, likely a reference"));
  EXPECT_TRUE(l.LeftWith("18.12.416.0", "not an IP address"));
  EXPECT_TRUE(l.LeftWith("ffmpeg.dll", "no public suffix"));
  EXPECT_TRUE(l.LeftWith("update.exe", "no public suffix"));
}

TEST(FreeText, VendorProseDefanged) {
  const std::string sha256 = "5f2b0f4a1c3e5d7b9a8c6e4f2d0b1a3c5e7f9d8b6a4c2e0f1d3b5a7c9e8f6d4b";
  const std::string commit = "0123456789abcdef0123456789abcdef01234567";
  const std::string text =
      "Threat Brief: Operation Sample (Example Security, https://blog.example-security.com/brief)\n"
      "The loader (stealer.bin) beacons to hxxps://update-check[.]net/api/v2/ping and to "
      "203.0.113[.]45:8443.\n"
      "It was built with Visual Studio 2019, version 16.11.2.0, and drops ffmpeg.dll.\n"
      "A second stage, SHA-256 " +
      sha256 +
      ", is fetched from cdn-files[.]org.\n"
      "The fix landed in commit " +
      commit + " (see https://github.com/example/project/commit/" + commit +
      ").\n"
      "Contact research[@]example-security.com with questions.\n";
  Loaded l = Load(text, "brief.txt");
  std::set<std::string> want = {
      "url https://update-check.net/api/v2/ping",
      "ipv4 203.0.113.45",
      "sha256 " + sha256,
      "domain cdn-files.org",
  };
  EXPECT_EQ(l.taken, want) << l.NotesText();
  EXPECT_TRUE(l.stats.problems.empty()) << ProblemsText(l.stats);
  EXPECT_TRUE(l.LeftWith("blog.example-security.com", "likely a reference")) << l.NotesText();
  EXPECT_TRUE(l.LeftWith("github.com/example/project", "likely a reference"));
  EXPECT_TRUE(l.LeftWith("16.11.2.0", "a version number"));
  EXPECT_TRUE(l.LeftWith(commit, "commit id"));
  EXPECT_TRUE(l.LeftWith("example-security.com", "e-mail address"));
  EXPECT_EQ(l.Find("cdn-files.org")->description,
            "A second stage, SHA-256 , is fetched from (brief.txt)");
}

TEST(FreeText, MarkdownTableAndCodeSpans) {
  const char* text =
      "## Indicators of compromise\n"
      "\n"
      "| Type | Indicator | Context |\n"
      "|------|-----------|---------|\n"
      "| Domain | `malware-drop[.]info` | payload host |\n"
      "| IPv4 | `198.51.100[.]77` | C2 |\n"
      "| MD5 | `0c2674c3a97c53082187d930efb645c2` | `loader.ps1` |\n"
      "| URL | `hxxp://malware-drop[.]info/x/y.php?id=1` | gate |\n"
      "| CIDR | `192.0.2[.]0/24` | hosting range |\n"
      "\n"
      "1. See [the vendor report](https://vendor-reports.com/report) for details.\n"
      "2. Tested with Node.js 18 and jquery.min.js; the sample is `invoice.zip`.\n";
  Loaded l = Load(text, "iocs.md");
  std::set<std::string> want = {
      "domain malware-drop.info",
      "ipv4 198.51.100.77",
      "md5 0c2674c3a97c53082187d930efb645c2",
      "url http://malware-drop.info/x/y.php?id=1",
      "cidr 192.0.2.0/24",
  };
  EXPECT_EQ(l.taken, want) << l.NotesText();
  EXPECT_EQ(l.Find("0c2674c3a97c53082187d930efb645c2")->description, "MD5 loader.ps1 (iocs.md)");
  EXPECT_EQ(l.Find("malware-drop.info")->description, "Domain payload host (iocs.md)");
  EXPECT_TRUE(l.LeftWith("vendor-reports.com", "likely a reference")) << l.NotesText();
  EXPECT_TRUE(l.LeftWith("invoice.zip", "a file name"));
  EXPECT_TRUE(l.LeftWith("jquery.min.js", "no public suffix"));
}

TEST(FreeText, HtmlPage) {
  const char* text =
      "<!DOCTYPE html>\n"
      "<html><head><title>Advisory at cert-example.org</title><style>.x{color:red}</style>\n"
      "<script>var u = \"http://tracker-analytics.net/a.js\";</script></head>\n"
      "<body>\n"
      "<h2>Network indicators</h2>\n"
      "<ul>\n"
      "<li>evil-cdn&#91;.&#93;com</li><li>hxxps&#58;//login-portal[.]biz/auth</li>\n"
      "</ul>\n"
      "<p>Published on <a href=\"https://www.cert-example.org/\">cert-example.org</a> &amp; "
      "mirrored.</p>\n"
      "<table><tr><td>9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08</td>"
      "<td>dropper.exe</td></tr></table>\n"
      "</body></html>\n";
  Loaded l = Load(text, "advisory.html");
  std::set<std::string> want = {
      "domain evil-cdn.com",
      "url https://login-portal.biz/auth",
      "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  };
  EXPECT_EQ(l.taken, want) << l.NotesText();
  EXPECT_TRUE(l.stats.problems.empty()) << ProblemsText(l.stats);
  EXPECT_EQ(l.Find("evil-cdn.com")->description, "Network indicators (advisory.html)");
  EXPECT_EQ(l.Find("evil-cdn.com")->source, "advisory.html:7");
  EXPECT_EQ(l.Find("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")->description,
            "dropper.exe (advisory.html)");
  EXPECT_TRUE(l.LeftWith("cert-example.org", "likely a reference")) << l.NotesText();
  // Scripts, styles and the head are no text: the tracker URL is not even seen.
  EXPECT_EQ(l.NotesText().find("tracker-analytics"), std::string::npos);
}

TEST(FreeText, QuotedEmail) {
  const char* text =
      "Received: from mail.sender-relay.com (mail.sender-relay.com [192.0.2.10])\n"
      "From: CERT Team <cert@cert-team.org>\n"
      "To: soc@victim-corp.com\n"
      "Subject: Re: IOCs for the incident\n"
      "Message-ID: <abc@cert-team.org>\n"
      "\n"
      "Hi,\n"
      "please block these, see below.\n"
      "\n"
      "> On Monday, Alice wrote:\n"
      "> > Malicious IPs:\n"
      "> > - 198.51.100[.]23\n"
      "> > - 2001:db8:bad::1\n"
      "> > Phishing domain: secure-login-update[.]com\n"
      "> > Ticket: https://portal.cert-team.org/tickets/4711\n"
      "\n"
      "Best regards\n"
      "CERT Team | cert-team.org\n";
  Loaded l = Load(text, "reply.eml");
  std::set<std::string> want = {
      "ipv4 198.51.100.23",
      "ipv6 2001:db8:bad::1",
      "domain secure-login-update.com",
  };
  EXPECT_EQ(l.taken, want) << l.NotesText();
  EXPECT_EQ(l.Find("198.51.100.23")->description, "Malicious IPs (reply.eml)");
  EXPECT_EQ(l.Find("secure-login-update.com")->description, "Phishing domain (reply.eml)");
  EXPECT_TRUE(l.LeftWith("portal.cert-team.org", "likely a reference")) << l.NotesText();
  // The message's own header (relay, sender) is never read as indicators.
  EXPECT_EQ(l.NotesText().find("sender-relay"), std::string::npos);
  EXPECT_EQ(l.NotesText().find("192.0.2.10"), std::string::npos);
}

TEST(FreeText, ChatWithoutDefangingIsTakenWhole) {
  const char* text =
      "[09:14] alice: new C2 seen: bad-actor-c2.net and 45.33.32.156\n"
      "[09:15] bob: the dropper hash d41d8cd98f00b204e9800998ecf8427e? no, that's an empty file\n"
      "[09:15] bob: real one: 44d88612fea8a8f36de82e1278abb02f\n"
      "[09:16] alice: agent upgraded to version 10.0.0.1, runbook "
      "<https://wiki.soc-team.net/runbook|runbook>\n"
      "[09:17] carol: payload raw.githubusercontent.com/badowner/badrepo/main/p.sh\n";
  Loaded l = Load(text, "chat.txt");
  std::set<std::string> want = {
      "domain bad-actor-c2.net",
      "ipv4 45.33.32.156",
      "md5 44d88612fea8a8f36de82e1278abb02f",
      "url https://wiki.soc-team.net/runbook",
      "url https://raw.githubusercontent.com/badowner/badrepo/main/p.sh",
  };
  EXPECT_EQ(l.taken, want) << l.NotesText();
  EXPECT_TRUE(l.LeftWith("d41d8cd98f00b204e9800998ecf8427e", "empty or newline-only"));
  EXPECT_TRUE(l.LeftWith("10.0.0.1", "a version number"));
}

TEST(FreeText, LiveHostNamedDefangedElsewhereIsTaken) {
  Loaded l = Load(
      "C2: hxxps://gate-evil[.]com/p.php\n"
      "Also seen: cdn.gate-evil.com and the vendor's write-up at https://vendor-blog.net/post\n",
      "mixed.txt");
  std::set<std::string> want = {"url https://gate-evil.com/p.php", "domain cdn.gate-evil.com"};
  EXPECT_EQ(l.taken, want) << l.NotesText();
  EXPECT_TRUE(l.LeftWith("vendor-blog.net", "likely a reference"));
}

TEST(FreeText, HashInAUrlPathIsNoFileHash) {
  const std::string id = "89abcdef0123456789abcdef0123456789abcdef";
  Loaded l = Load("Patched by " + id + " (https://git.project-forge.org/repo/c/" + id +
                      ") and the dropper 44d88612fea8a8f36de82e1278abb02f.\n",
                  "fix.txt");
  std::set<std::string> want = {"url https://git.project-forge.org/repo/c/" + id,
                                "md5 44d88612fea8a8f36de82e1278abb02f"};
  EXPECT_EQ(l.taken, want) << l.NotesText();
  EXPECT_TRUE(l.LeftWith(id, "in the path of a URL")) << l.NotesText();
}

TEST(FreeText, TruncatedHashesAreLeftWithAReason) {
  Loaded l = Load(
      "SHA-1:\n\xE2\x80\xA2 bf939c9c\xE2\x80\xA6 | ffmpeg.dll\n\xE2\x80\xA2 20d554a8... | x.dll\n",
      "short.txt");
  EXPECT_TRUE(l.taken.empty()) << l.NotesText();
  EXPECT_TRUE(l.LeftWith("bf939c9c", "a truncated hash")) << l.NotesText();
  EXPECT_TRUE(l.LeftWith("20d554a8", "a truncated hash")) << l.NotesText();
}

TEST(FreeText, HtmlUnclosedQuoteDoesNotSwallowThePage) {
  Loaded l = Load(
      "<html><body><p><a href=\"broken>evil-one[.]com</a></p>\n"
      "<ul><li>evil-two[.]com</li></ul></body></html>\n",
      "broken.html");
  std::set<std::string> want = {"domain evil-one.com", "domain evil-two.com"};
  EXPECT_EQ(l.taken, want) << l.NotesText();
}

TEST(FreeText, NonAsciiWordsHoldNoDomains) {
  Loaded l =
      Load("Die Firma m\xC3\xBCller.de meldet den Vorfall an cert-bund.de heute.\n", "x.txt");
  std::set<std::string> want = {"domain cert-bund.de"};
  EXPECT_EQ(l.taken, want) << l.NotesText();
}

TEST(FreeText, BadTextIsAProblemWithItsLine) {
  Loaded l =
      Load(std::string("The host is evil-one[.]com\nbad \xC3( bytes evil-two[.]com\n"), "bad.txt");
  EXPECT_EQ(l.taken, (std::set<std::string>{"domain evil-one.com"}));
  ASSERT_EQ(l.stats.problems.size(), 1u) << ProblemsText(l.stats);
  EXPECT_EQ(l.stats.problems[0].where, "bad.txt:2");
  EXPECT_EQ(l.stats.problems[0].message.rfind("invalid UTF-8", 0), 0u);
}

// Every defanged form, one per row, inside a sentence.
TEST(FreeText, EveryDefangForm) {
  struct Row {
    const char* text;
    const char* want;  // "kind value"
  };
  const Row rows[] = {
      {"evil[.]com", "domain evil.com"},
      {"evil(.)com", "domain evil.com"},
      {"evil{.}com", "domain evil.com"},
      {"evil[dot]com", "domain evil.com"},
      {"evil(DOT)com", "domain evil.com"},
      {"evil{dot}com", "domain evil.com"},
      {"evil dot com", "domain evil.com"},
      {"evil\\.com", "domain evil.com"},
      {"evil\xEF\xBC\x8E"
       "com",
       "domain evil.com"},
      {"evil\xE3\x80\x82"
       "com",
       "domain evil.com"},
      {"evil\xEF\xBD\xA1"
       "com",
       "domain evil.com"},
      {"hxxp://evil.com/a", "url http://evil.com/a"},
      {"hxxps://evil.com/a", "url https://evil.com/a"},
      {"hXXps://evil.com/a", "url https://evil.com/a"},
      {"hxxps[:]//evil.com/a", "url https://evil.com/a"},
      {"hxxps[://]evil.com/a", "url https://evil.com/a"},
      {"https:// evil[.]com/a", "url https://evil.com/a"},
      {"fxp://evil[.]com/a", "url ftp://evil.com/a"},
      {"evil[.]com[/]a", "url https://evil.com/a"},
      {"192.0.2[.]1", "ipv4 192.0.2.1"},
      {"192[.]0[.]2[.]1", "ipv4 192.0.2.1"},
      {"192.0.2.1[:]8080", "ipv4 192.0.2.1"},
      {"2001:db8[:]:5", "ipv6 2001:db8::5"},
  };
  for (const Row& r : rows) {
    Loaded l = Load(std::string("The C2 is ") + r.text + " today.\n", "row.txt");
    EXPECT_EQ(l.taken, (std::set<std::string>{r.want})) << r.text << "\n" << l.NotesText();
  }
  // E-mail forms are refanged too, and noted (trawl has no e-mail kind).
  for (const char* mail : {"bad[@]evil[.]com", "bad[at]evil[.]com", "bad(at)evil[.]com",
                           "bad{at}evil[.]com", "bad(@)evil[.]com"}) {
    Loaded l = Load(std::string("Sender: ") + mail + "\n", "mail.txt");
    EXPECT_TRUE(l.taken.empty()) << mail;
    EXPECT_TRUE(l.LeftWith("evil.com", "e-mail address")) << mail << "\n" << l.NotesText();
  }
}

TEST(RefangText, TableAndFlags) {
  struct Row {
    const char* in;
    bool free_text;
    const char* out;
  };
  const Row rows[] = {
      {"a[.]b", false, "a.b"},
      {"a(.)b", false, "a.b"},
      {"a{.}b", false, "a.b"},
      {"a[DoT]b", false, "a.b"},
      {"a(dot)b", false, "a.b"},
      {"a{dot}b", false, "a.b"},
      {"a[:]b", false, "a:b"},
      {"a(:)b", false, "a:b"},
      {"h[://]x", false, "h://x"},
      {"h[:/]x", false, "h://x"},
      {"a[/]b", false, "a/b"},
      {"u[@]h", false, "u@h"},
      {"u(@)h", false, "u@h"},
      {"u[at]h", false, "u@h"},
      {"u(at)h", false, "u@h"},
      {"u{at}h", false, "u@h"},
      {"hxxp://x", false, "http://x"},
      {"HXXPS://x", false, "https://x"},
      {"hxtp://x", false, "http://x"},
      {"hxtps://x", false, "https://x"},
      {"hxxxp://x", false, "http://x"},
      {"hxxxps://x", false, "https://x"},
      {"fxp://x", false, "ftp://x"},
      {"ahxxp://x", false, "ahxxp://x"},
      {"a dot b", false, "a dot b"},
      {"a dot b", true, "a.b"},
      {"a\\.b", false, "a\\.b"},
      {"a\\.b", true, "a.b"},
      {"a\xEF\xBC\x8E"
       "b",
       true, "a.b"},
      {"https:// x", true, "https://x"},
      {"https:// x", false, "https:// x"},
      {"end. dot ", true, "end. dot "},
  };
  for (const Row& r : rows) {
    Refanged got = RefangText(r.in, r.free_text);
    EXPECT_EQ(got.text, r.out) << r.in;
    EXPECT_EQ(got.defanged.size(), got.text.size());
    bool changed = got.text != r.in;
    bool flagged = got.defanged.find('\1') != std::string::npos;
    EXPECT_EQ(changed, flagged) << r.in;
  }
  EXPECT_EQ(Refang("hxxps[:]//evil[.]com"), "https://evil.com");
}

TEST(IndicatorList, OneValueALineKeepsTheListRules) {
  EXPECT_TRUE(IsIndicatorList("# c\nevil.com\n10.0.0.0/8 ;  55\n\nfoo\n"));
  EXPECT_FALSE(IsIndicatorList("C2 domains:\n- evil.com\n"));
  EXPECT_FALSE(IsIndicatorList("<p>evil.com</p>\n"));
  EXPECT_FALSE(IsIndicatorList("\n# only a comment\n"));
  // A bare scheme-less URL line (the form advisories use) loads as the URL.
  IndicatorSet set;
  LoadStats st =
      LoadText("github.com/IconStorages/images\nhttps://github.com/IconStorages/images\n",
               Format::kPlain, "list.txt", set);
  EXPECT_TRUE(st.problems.empty()) << ProblemsText(st);
  ASSERT_EQ(set.size(), 1u);
  EXPECT_EQ(set.Materialize()[0].kind, Kind::kUrl);
  EXPECT_EQ(set.Materialize()[0].value, "https://github.com/IconStorages/images");
  EXPECT_EQ(testing::Skipped(st, "duplicate"), 1u);
  // In a list, file names stay problems as before ("ffmpeg" is no value).
  IndicatorSet set2;
  LoadStats st2 = LoadText("evil.com\nffmpeg\n", Format::kPlain, "l.txt", set2);
  ASSERT_EQ(st2.problems.size(), 1u);
  EXPECT_EQ(st2.problems[0].where, "l.txt:2");
}

TEST(Psl, PackagedListAndRegistrableDomains) {
  ASSERT_TRUE(PslAvailable()) << PslSource();
  EXPECT_EQ(PslSource().rfind("/usr/share/publicsuffix/", 0), 0u) << PslSource();
  EXPECT_EQ(RegistrableDomain("www.x.co.uk"), "x.co.uk");
  EXPECT_EQ(RegistrableDomain("www.journalide.org"), "journalide.org");
  EXPECT_EQ(RegistrableDomain("co.uk"), "");
  EXPECT_EQ(RegistrableDomain("ffmpeg.dll"), "");
  EXPECT_EQ(PublicSuffix("update.exe"), "");
  EXPECT_EQ(PublicSuffix("a.b.github.io"), "github.io");
}

TEST(BroadRanges, RefusedUnlessAllowed) {
  const char* text = "0.0.0.0/0\n::/0\n10.0.0.0/7\n10.0.0.0/8\n2000::/3\n2001:db8::/32\n";
  IndicatorSet set;
  LoadStats st = LoadText(text, Format::kPlain, "r.txt", set);
  EXPECT_EQ(set.size(), 2u);  // 10.0.0.0/8 and 2001:db8::/32
  ASSERT_EQ(st.problems.size(), 4u) << ProblemsText(st);
  for (const Problem& p : st.problems)
    EXPECT_NE(p.message.find("--allow-broad-ranges"), std::string::npos) << p.message;
  IndicatorSet all;
  LoadOptions opts;
  opts.allow_broad_ranges = true;
  LoadStats st2 = LoadText(text, Format::kPlain, "r.txt", all, opts);
  EXPECT_TRUE(st2.problems.empty()) << ProblemsText(st2);
  EXPECT_EQ(all.size(), 6u);
  // The same rule in signature-base C2 files and STIX.
  IndicatorSet c2;
  LoadStats st3 = LoadText("0.0.0.0/0\n", Format::kSigBaseC2, "c2-iocs.txt", c2);
  EXPECT_EQ(st3.problems.size(), 1u);
}

TEST(SigBaseHash, ScoreOutOfRangeIsAProblem) {
  IndicatorSet set;
  LoadStats st = LoadText(
      "0c2674c3a97c53082187d930efb645c2;200;desc\n"
      "0c2674c3a97c53082187d930efb645c3;70;desc\n"
      "0c2674c3a97c53082187d930efb645c4;Trojan; variant 2\n",
      Format::kSigBaseHash, "hash-iocs.txt", set);
  EXPECT_EQ(set.size(), 2u);
  ASSERT_EQ(st.problems.size(), 1u) << ProblemsText(st);
  EXPECT_EQ(st.problems[0].where, "hash-iocs.txt:1");
  EXPECT_EQ(st.problems[0].message.rfind("bad score", 0), 0u);
}

}  // namespace
}  // namespace trawl::ioc
