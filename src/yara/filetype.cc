// FileType: LOKI's file type names from magic bytes.
//
// LOKI reads signature-base's misc/file-type-signatures.txt into a Python
// dict (HEX;NAME lines, spaces removed) and returns the name of the first
// signature, in file order, that prefixes the file. A signature listed twice
// keeps its first position and its last name (dict semantics): 43 57 53 is
// "CWS", 5A 57 53 "ZWS", 30 00 00 00 4C 66 4C 65 "EVT". kLoki below is that
// table in that order.
//
// Before it, a few checks LOKI lacks for names signature-base's rules test
// (THOR's names): MACH-O (all Mach-O magics; CA FE BA BE is a fat Mach-O when
// the architecture count is small, else LOKI's Java "Class"), PNG, Python (a
// shebang naming python; other shebangs keep LOKI's "UNIX SCRIPT"/"Script"),
// BATCH ("@echo" at the start), ASP ("<%@" with a non-Java Language
// attribute; LOKI calls every "<%" file JSP), and "<?php" in any case.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "trawl/yara/yara.h"

namespace trawl::yara {
namespace {

struct Sig {
  std::string_view magic;  // raw bytes
  const char* name;
};

using namespace std::string_view_literals;

constexpr Sig kLoki[] = {
    {"\x1F\x8B\x08"sv, "GZIP"},
    {"\x25\x50\x44\x46"sv, "PDF"},
    {"\x30\x00\x00\x00\x4C\x66\x4C\x65"sv, "EVT"},
    {"\x50\x4B\x03\x04\x14\x00\x06\x00"sv, "Office"},
    {"\x50\x4B\x03\x04\x14\x00\x08\x00"sv, "JAR"},
    {"\x50\x4B\x53\x70\x58"sv, "PKSFX"},
    {"\x37\x7A\xBC\xAF\x27\x1C"sv, "7Zip"},
    {"\x46\x75\x6E\x63\x74\x69\x6F\x6E"sv, "VBS"},
    {"\x42\x5A\x68"sv, "BZip2"},
    {"\x5F\x27\xA8\x89"sv, "JAR"},
    {"\xFF\xD8\xFF"sv, "JPEG"},
    {"\x50\x4B\x05\x06"sv, "PKZIP"},
    {"\x52\x61\x72\x21\x1A\x07"sv, "RAR"},
    {"\x57\x69\x6E\x5A\x69\x70"sv, "WinZIP"},
    {"\x72\x65\x67\x66"sv, "Registry Hive"},
    {"\x7B\x5C\x72\x74\x66\x31"sv, "RTF"},
    {"\x75\x73\x74\x61\x72"sv, "TAR"},
    {"\xD4\xC3\xB2\xA1"sv, "WINPCAP"},
    {"\xA1\xB2\xC3\xD4"sv, "LIBPCAP"},
    {"\xA1\xB2\xCD\x34"sv, "LIBPCAP"},
    {"\xCA\xFE\xBA\xBE"sv, "Class"},
    {"\xFF\x4B\x45\x59\x42\x20\x20\x20"sv, "SYS Keyboard Driver"},
    {"\xFF\xFE\x3C\x00\x3F\x00\x78\x00\x6D\x00\x6C"sv, "Windows At Job"},
    {"\x3C\x3F\x70\x68\x70"sv, "PHP"},
    {"\x0D\x44\x4F\x43"sv, "DOC"},
    {"\x23\x20\x44\x69\x73\x6B\x20\x44"sv, "VMDK"},
    {"\x45\x6C\x66\x46\x69\x6C"sv, "EVTX"},
    {"\x41\x45\x53"sv, "AESCrypt"},
    {"\x43\x4F\x57\x44"sv, "VMDK"},
    {"\x3C\x3F\x78\x6D"sv, "XML"},
    {"\x3C\x3F\x58\x4D"sv, "XML"},
    {"\x43\x57\x53"sv, "CWS"},
    {"\x5A\x57\x53"sv, "ZWS"},
    {"\x47\x49\x46"sv, "GIF"},
    {"\x46\x49\x4C\x45"sv, "NTFS MFT"},
    {"\x4A\x41\x52\x43\x53\x00"sv, "JARCS"},
    {"\x4B\x44\x4D"sv, "VMDK"},
    {"\x4C\x00\x00\x00\x01\x14\x02\x00"sv, "LNK"},
    {"\x4D\x53\x43\x46"sv, "CAB"},
    {"\x50\x4B\x03\x04"sv, "ZIP"},
    {"\xFF\xFE\x3C\x00\x25\x00\x40"sv, "JSP"},
    {"\x5F\x43\x41\x53\x45\x5F"sv, "Encase File"},
    {"\x63\x6F\x6E\x65\x63\x74\x69\x78"sv, "VHD"},
    {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"sv, "OLE"},
    {"\xFF\xFF\xFF\xFF"sv, "SYS"},
    {"\x23\x21\x2F"sv, "UNIX SCRIPT"},
    {"\x4D\x44\x4D\x50"sv, "MDMP"},
    {"\x46\x57\x53"sv, "FWS (Flash)"},
    {"\x7F\x45"sv, "ELF"},
    {"\x23\x21"sv, "Script"},
    {"\x60\xEA"sv, "ARJ"},
    {"\x1F\x9D"sv, "TARZ"},
    {"\x1F\xA0"sv, "TARZ"},
    {"\x3C\x25"sv, "JSP"},
    {"\x4D\x5A"sv, "EXE"},
    {"\xFF\xFE"sv, "Windows Registry File"},
    {"\xE8"sv, "SYS"},
    {"\xE9"sv, "SYS"},
    {"\xEB"sv, "SYS"},
};

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (Lower(s[i]) != Lower(prefix[i])) return false;
  }
  return true;
}

std::size_t FindNoCase(std::string_view s, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= s.size(); ++i) {
    if (StartsWithNoCase(s.substr(i), needle)) return i;
  }
  return std::string_view::npos;
}

std::uint32_t Be32(std::string_view s, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at])) << 24 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

const char* Additions(std::string_view h) {
  // Mach-O: 32/64-bit, both byte orders; fat (universal) binaries share
  // CA FE BA BE with Java classes, whose next u32 (minor, major version) is
  // >= 45, while a fat header's architecture count is small.
  if (h.starts_with("\xFE\xED\xFA\xCE"sv) || h.starts_with("\xFE\xED\xFA\xCF"sv) ||
      h.starts_with("\xCE\xFA\xED\xFE"sv) || h.starts_with("\xCF\xFA\xED\xFE"sv)) {
    return "MACH-O";
  }
  if ((h.starts_with("\xCA\xFE\xBA\xBE"sv) || h.starts_with("\xCA\xFE\xBA\xBF"sv)) &&
      h.size() >= 8) {
    std::uint32_t nfat = Be32(h, 4);
    if (nfat > 0 && nfat < 45) return "MACH-O";
  }
  if (h.starts_with("\x89PNG\r\n\x1A\n"sv)) return "PNG";
  if (h.starts_with("#!"sv)) {
    std::string_view line = h.substr(0, h.find('\n'));
    if (FindNoCase(line, "python") != std::string_view::npos) return "Python";
  }
  std::string_view body = h;
  if (body.starts_with("\xEF\xBB\xBF"sv)) body.remove_prefix(3);  // UTF-8 BOM
  while (!body.empty() &&
         (body[0] == ' ' || body[0] == '\t' || body[0] == '\r' || body[0] == '\n')) {
    body.remove_prefix(1);
  }
  if (StartsWithNoCase(body, "@echo")) return "BATCH";
  if (StartsWithNoCase(h, "<?php")) return "PHP";
  if (h.starts_with("<%@"sv)) {
    std::string_view directive = h.substr(0, h.find("%>"));
    std::size_t at = FindNoCase(directive, "language");
    if (at != std::string_view::npos) {
      std::string_view v = directive.substr(at + 8);
      while (!v.empty() && (v[0] == ' ' || v[0] == '=' || v[0] == '"' || v[0] == '\'')) {
        v.remove_prefix(1);
      }
      if (!v.empty() && !StartsWithNoCase(v, "java")) return "ASP";
    }
  }
  return nullptr;
}

}  // namespace

std::string FileType(const std::uint8_t* data, std::size_t n) {
  if (data == nullptr || n == 0) return "UNKNOWN";
  std::string_view head(reinterpret_cast<const char*>(data), n < kFileTypeBytes ? n : kFileTypeBytes);
  if (const char* name = Additions(head)) return name;
  for (const Sig& sig : kLoki) {
    if (head.starts_with(sig.magic)) return sig.name;
  }
  return "UNKNOWN";
}

}  // namespace trawl::yara
