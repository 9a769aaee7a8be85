// Free-text indicator files: advisories, vendor blogs, CERT e-mails, chat
// messages, web pages and PDFs turned into text, read as they are pasted.
//
// The plain-list loader (Format::kPlain, loader.h) calls this. A file whose
// every entry line is one value ("VALUE[;SCORE]", no blank inside) is a
// one-indicator-per-line list and keeps its exact list rules (a line that is
// no indicator is a problem). Any other file is text:
//  - Lines are what a reader sees: HTML (a document that starts with a tag
//    or DOCTYPE, or a .htm/.html name) has its tags stripped (script and style
//    dropped, block tags end a line), entities decoded; an e-mail's header
//    block (.eml, or a text starting with RFC 5322 headers) is skipped;
//    mail quotes ("> > "), bullets ("•", "-", "*", "1."), Markdown table pipes,
//    code spans and emphasis bound tokens and are never part of one.
//  - Every indicator anywhere in a line is taken, refanged (inet.h's table
//    plus " dot ", "\.", fullwidth dots, ":// "): MD5, SHA-1, SHA-256 (whole
//    hex tokens, also after "sha256:" / "md5="), IPv4 (strict grammar; an
//    optional ":port" is dropped), IPv6, CIDR, URL, a host with a path and no
//    scheme as the URL "https://HOST/PATH", and domains.
//  - Precision: a domain needs a real public suffix (psl.h), so "ffmpeg.dll"
//    and "update.exe" are not domains; a live two-label name whose TLD is
//    also a common file extension ("invoice.zip", "run.sh") is a file name
//    unless defanged; an IPv4 after "version", "v", "build"... is a version
//    number; no hash is taken out of a URL (a commit id in a GitHub link);
//    e-mail addresses are noted, not taken (no e-mail indicator kind).
//  - References: in a text that defangs at least one indicator, the live (not
//    defanged) domains and URLs are the text's references (the vendor's blog,
//    a photo credit) and are left with the note "not taken: not defanged,
//    likely a reference". A text that defangs nothing is taken whole.
//  - Descriptions: the rest of the line around the indicators ("| ffmpeg.dll",
//    "(stealer.bin)"), else the nearest heading above (a Markdown or HTML
//    heading, a "# comment", or a short line ending in ':'), plus the file's
//    name: "ffmpeg.dll (advisory.txt)".
//
// What it does not do: read PDFs or Word files (convert them to text first),
// decode quoted-printable or base64 mail bodies, or take e-mail addresses,
// file names, registry keys or mutexes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/ioc/indicator.h"

namespace trawl::ioc {

// One candidate the reader met: taken (an indicator) or left (with why).
struct TextItem {
  std::size_t line = 0;  // 1-based line of the source text
  bool taken = false;
  Indicator indicator;   // kind, value, description (source is left empty)
  std::string text;      // the token as written (for "left" reports)
  std::string reason;    // why it was left; empty when taken
  bool problem = false;  // left as an error (bad text) rather than on purpose
};

struct TextResult {
  bool list = false;            // read as a one-indicator-per-line list (the loader's list rules)
  bool defanged = false;        // the text defangs at least one indicator
  std::vector<TextItem> items;  // in line order
};

// Reads `text` as free text (never as a list: the loader decides that).
// `file_name` (the base name is used) picks HTML/e-mail handling by extension and
// ends each description. Never fails: unusable input yields fewer items.
TextResult ExtractFreeText(std::string_view text, std::string_view file_name);

// True when `text` is a one-indicator-per-line list: every line that is not
// blank or a "# comment" is a single token ("VALUE[;SCORE]" without blanks).
bool IsIndicatorList(std::string_view text);

}  // namespace trawl::ioc
