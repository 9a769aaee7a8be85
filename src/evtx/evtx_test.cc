// Unit and robustness tests of the EVTX reader (the differential test against
// evtxexport is in evtx_diff_test.cc).
#include "trawl/evtx/evtx.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "internal.h"
#include "test_util.h"
#include "trawl/core/stop.h"
#include "trawl/testsupport/temp_dir.h"

namespace trawl::evtx {
namespace {

using detail::Value;

const std::string kData = TRAWL_SHARED_DATA "/evtx/";

std::vector<std::uint8_t> Load(const std::string& path) {
  std::string s = testing::ReadWhole(path);
  return std::vector<std::uint8_t>(s.begin(), s.end());
}

struct Collected {
  std::vector<Record> records;
  std::vector<std::string> xml, json;
  ReadStats stats;
  bool ok = false;
  std::string error;
};

Collected ReadAll(std::span<const std::uint8_t> data, Options opts = {}) {
  Collected c;
  auto r = ReadBuffer(
      data,
      [&](const Record& rec) {
        c.records.push_back(rec);
        auto x = RenderXml(rec);
        c.xml.push_back(x.ok() ? *x : "ERROR " + x.status().message());
        auto j = RenderJson(rec);
        c.json.push_back(j.ok() ? *j : "ERROR");
      },
      opts);
  c.ok = r.ok();
  if (r.ok()) {
    c.stats = *r;
  } else {
    c.error = r.status().message();
  }
  return c;
}

const Field* FindField(const Record& r, const std::string& name) {
  for (const Field& f : r.fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool HasProblem(const ReadStats& s, std::uint64_t offset, const std::string& needle) {
  for (const Problem& p : s.problems) {
    if (p.offset == offset && p.message.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string Hex(std::initializer_list<std::uint8_t> b, std::uint8_t type) {
  std::vector<std::uint8_t> v(b);
  std::string out;
  detail::AppendValue(Value{v.data(), static_cast<std::uint32_t>(v.size()), type}, out);
  return out;
}

// ---------------------------------------------------------------------------
// Formatting

TEST(Filetime, Formats) {
  struct Case {
    std::uint64_t ft;
    const char* want;
  } cases[] = {
      {0, "1601-01-01T00:00:00.0000000Z"},
      {116444736000000000ull, "1970-01-01T00:00:00.0000000Z"},
      {132514687271234567ull, "2020-12-03T11:32:07.1234567Z"},
      {116444736000000000ull + 951782400ull * 10000000ull + 9999999,  // leap day 2000
       "2000-02-29T00:00:00.9999999Z"},
      {116444735999999999ull, "1969-12-31T23:59:59.9999999Z"},   // before the Unix epoch
      {94405824000000000ull, "1900-03-01T00:00:00.0000000Z"},    // 1900 is not a leap year
      {2650467743999999999ull, "9999-12-31T23:59:59.9999999Z"},  // the last four-digit year
  };
  for (const Case& c : cases) {
    std::string s;
    AppendFiletime(c.ft, s);
    EXPECT_EQ(s, c.want);
  }
  std::string max;
  AppendFiletime(~0ull, max);  // Five-digit year, still well-formed.
  EXPECT_EQ(max, "60056-05-28T05:36:10.9551615Z");
}

TEST(Crc32, MatchesReferenceAndPortable) {
  const char* check = "123456789";
  EXPECT_EQ(detail::Crc32(reinterpret_cast<const std::uint8_t*>(check), 9), 0xcbf43926u);
  std::mt19937 rng(7);
  std::vector<std::uint8_t> buf(70000);
  for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
  for (std::size_t n : {0u, 1u, 15u, 16u, 63u, 64u, 65u, 127u, 128u, 200u, 1000u, 65024u, 70000u}) {
    for (std::size_t off : {0u, 1u, 3u}) {
      if (off + n > buf.size()) continue;
      EXPECT_EQ(detail::Crc32(buf.data() + off, n), detail::Crc32Portable(buf.data() + off, n))
          << n << "@" << off;
      EXPECT_EQ(detail::Crc32(buf.data() + off, n), testing::TestCrc32(buf.data() + off, n));
    }
  }
  // Chained: crc(a + b) == crc(b, crc(a)).
  EXPECT_EQ(detail::Crc32(buf.data() + 100, 900, detail::Crc32(buf.data(), 100)),
            detail::Crc32(buf.data(), 1000));
}

TEST(Values, Representations) {
  struct Case {
    std::string got;
    const char* want;
  } cases[] = {
      {Hex({0xfb}, detail::kInt8), "-5"},
      {Hex({0xd4, 0xfe}, detail::kInt16), "-300"},
      {Hex({0x90, 0xee, 0xfe, 0xff}, detail::kInt32), "-70000"},
      {Hex({0, 0, 0, 0, 0, 0, 0, 0x80}, detail::kInt64), "-9223372036854775808"},
      {Hex({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, detail::kUInt64),
       "18446744073709551615"},
      {Hex({0, 0, 0xc0, 0x3f}, detail::kReal32), "1.5"},
      {Hex({0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f}, detail::kReal64), "0.1"},
      {Hex({0, 0, 0, 0}, detail::kBool), "false"},
      {Hex({2, 0, 0, 0}, detail::kBool), "true"},
      {Hex({0xab, 0, 0, 0}, detail::kHexInt32), "0x000000ab"},
      {Hex({0x34, 0x12, 0, 0}, detail::kSizeT), "4660"},
      {Hex({1, 2, 3}, detail::kUInt32), "010203"},  // Wrong size: hex, not garbage.
      {Hex({1, 0, 0, 0, 0, 0, 0, 5}, detail::kSid), "S-1-5"},
      {Hex({1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}, detail::kSid), "S-1-5-18"},
      // Claims 2 sub-authorities, holds 1: hex, not an out-of-bounds read.
      {Hex({1, 2, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0}, detail::kSid), "010200000000000501000000"},
      {Hex({'a', 0x80, 0x9f, 0xe9, 0}, detail::kAnsiString), "a\u20ac\u0178\u00e9"},
      // UTF-16: unpaired high surrogate, then 'A'; a valid pair; a lone low surrogate.
      {Hex({0x00, 0xd8, 'A', 0, 0x3d, 0xd8, 0x00, 0xde, 0x00, 0xdc, 0, 0}, detail::kString),
       "\uFFFDA\U0001F600\uFFFD"},
      {Hex({'a', 0, 0, 0, 'b', 0, 0, 0}, detail::kString | detail::kArrayFlag), "a, b"},
      {Hex({0xe5, 0x07, 3, 0, 4, 0, 4, 0, 5, 0, 6, 0, 7, 0, 89, 0}, detail::kSystemtime),
       "2021-03-04T05:06:07.089Z"},
      {Hex({}, detail::kNull), ""},
  };
  for (const Case& c : cases) EXPECT_EQ(c.got, c.want);
}

// ---------------------------------------------------------------------------
// Decoding the synthetic sample (every value type, UserData, references)

TEST(Decode, RichSampleFields) {
  std::vector<std::uint8_t> file = testing::RichSample(/*extras=*/true);
  Collected c = ReadAll(file);
  ASSERT_TRUE(c.ok) << c.error;
  EXPECT_TRUE(c.stats.problems.empty());
  ASSERT_EQ(c.records.size(), 3u);

  const Record& a = c.records[0];
  EXPECT_EQ(a.id, 101u);  // System/EventRecordID, not the header's 1.
  EXPECT_EQ(a.header_id, 1u);
  EXPECT_EQ(a.provider, "Test-Provider");
  EXPECT_EQ(a.channel, "Test/Operational");
  EXPECT_EQ(a.computer, "HOST-A");
  EXPECT_EQ(a.event_id, 7036u);
  EXPECT_TRUE(a.has_qualifiers);
  EXPECT_EQ(a.qualifiers, 16384u);
  EXPECT_EQ(a.FullEventId(), 0x40001b7cu);
  EXPECT_EQ(a.level, 4);
  EXPECT_EQ(a.filetime, 132514687271234567ull);
  EXPECT_EQ(a.time_text, "2020-12-03T11:32:07.1234567Z");
  EXPECT_EQ(a.file_offset, 4096u + 512u);
  EXPECT_FALSE(a.recovered);
  struct Want {
    const char* name;
    const char* value;
  } want[] = {
      {"Int8", "5"},
      {"UInt64", "18000000000000000000"},
      {"Real64", "-2.25"},
      {"Guid", "{00112233-4455-6677-8899-AABBCCDDEEFF}"},
      {"FileTime", "1970-01-02T00:00:00.0000001Z"},
      {"Sid", "S-1-5-21-1-2-3-500"},
      {"HexInt64", "0x8000000000000010"},
      {"Ansi", "ansi\u20ac"},
      {"StrArray", "one"},
      {"NullValue", ""},
      {"Data[27]", "first unnamed"},
      {"Data[28]", "second <unnamed> & co"},
      {"Static", "a & bA"},  // Entity and character reference resolved.
      {"CData", "x<y"},
      {"Nested", "inner text"},  // Nested BinXml value's character data.
  };
  for (const Want& w : want) {
    const Field* f = FindField(a, w.name);
    ASSERT_NE(f, nullptr) << w.name;
    EXPECT_EQ(f->value, w.value) << w.name;
  }
  EXPECT_EQ(FindField(a, "OptionalNull"), nullptr);  // Empty optional: left out.
  // Array items are fields of their own, in order.
  std::vector<std::string> u16;
  for (const Field& f : a.fields) {
    if (f.name == "U16Array") u16.push_back(f.value);
  }
  EXPECT_EQ(u16, (std::vector<std::string>{"1", "2", "65535"}));
  EXPECT_EQ(a.fields.size(), 31u);
  EXPECT_NE(c.xml[0].find("<Data Name=\"Static\">a &amp; b&#65;</Data>"), std::string::npos)
      << c.xml[0];
  EXPECT_NE(c.xml[0].find("<Data Name=\"CData\"><![CDATA[x<y]]></Data>"), std::string::npos);
  EXPECT_NE(c.json[0].find("\"StrArray#2\":\"two\""), std::string::npos) << c.json[0];
  EXPECT_NE(c.json[0].find("\"qualifiers\":16384"), std::string::npos);

  const Record& b = c.records[1];
  EXPECT_EQ(b.provider, "Microsoft-Windows-Eventlog");
  EXPECT_EQ(b.event_id, 1102u);
  EXPECT_FALSE(b.has_qualifiers);
  ASSERT_EQ(b.fields.size(), 3u);
  EXPECT_EQ(b.fields[0].name, "SubjectUserName");
  EXPECT_EQ(b.fields[0].value, "alice");
  EXPECT_EQ(b.fields[1].name, "Nested/Inner@Attr");
  EXPECT_EQ(b.fields[1].value, "42");
  EXPECT_EQ(b.fields[2].name, "Nested/Inner");
  EXPECT_EQ(b.fields[2].value, "deep");

  const Record& r3 = c.records[2];  // Template A again, by reference.
  EXPECT_EQ(r3.id, 103u);
  EXPECT_EQ(r3.computer, "HOST-C");
  EXPECT_FALSE(r3.has_qualifiers);  // Empty optional attribute: left out.
  EXPECT_EQ(c.xml[2].find("Qualifiers"), std::string::npos);
  EXPECT_EQ(r3.fields.size(), a.fields.size());
}

TEST(Decode, ElementWithoutDependencyIdentifier) {
  // Nested BinXml whose start tags lack the dependency identifier.
  testing::EvtxBuilder b;
  auto body = [](testing::BinXmlWriter& t) {
    testing::SystemOpen(t);
    t.SubstElement("Computer", 0, 0x01);
    t.End();  // System
    t.Open("EventData", false);
    t.CloseStart();
    t.DataElement("Blob", 1, 0x21);
    t.End();
    t.End();
  };
  b.AddRecord(1, 1, 0, body, {testing::Str("pc")}, [](testing::BinXmlWriter& n) {
    n.Open("Outer", true, /*dependency_id=*/false);
    n.Attr("a");
    n.Text("1");
    n.CloseStart();
    n.Open("In", false, /*dependency_id=*/false);
    n.CloseStart();
    n.Text("x");
    n.End();
    n.End();
  });
  Collected c = ReadAll(b.File());
  ASSERT_EQ(c.records.size(), 1u) << (c.stats.problems.empty() ? "" : c.stats.problems[0].message);
  const Field* f = FindField(c.records[0], "Blob");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->value, "x");
  EXPECT_NE(c.xml[0].find("<Outer a=\"1\">"), std::string::npos) << c.xml[0];
}

TEST(Decode, FieldsCanBeSkipped) {
  std::vector<std::uint8_t> file = testing::RichSample();
  Options o;
  o.extract_fields = false;
  Collected c = ReadAll(file, o);
  ASSERT_EQ(c.records.size(), 3u);
  EXPECT_TRUE(c.records[0].fields.empty());
  EXPECT_EQ(c.records[0].provider, "Test-Provider");
  EXPECT_EQ(c.records[0].event_id, 7036u);
}

TEST(Decode, RenderOutsideCallbackIsAnError) {
  Collected c = ReadAll(testing::RichSample());
  ASSERT_FALSE(c.records.empty());
  Record copy = c.records[0];
  copy.context = nullptr;
  EXPECT_FALSE(RenderXml(copy).ok());
  EXPECT_TRUE(RenderJson(copy).ok());  // JSON needs only the Record's values.
}

// ---------------------------------------------------------------------------
// Real samples: damage and recovery

TEST(Samples, MalformedDnsRecordIsReadExactly) {
  // The "malformed" record holds an ANSI string with a control byte and a
  // byte above 0x7f (the DNS label "b._dns-sd._udp.@\xa65\x01."); the record
  // structure is intact, so every record is read and nothing is skipped.
  Collected c = ReadAll(Load(kData + "pyevtx__dns_log_malformed_DNSServer.evtx"));
  ASSERT_TRUE(c.ok);
  EXPECT_EQ(c.records.size(), 5u);
  EXPECT_EQ(c.stats.records_bad, 0u);
  EXPECT_TRUE(c.stats.problems.empty());
  ASSERT_GE(c.records.size(), 2u);
  const Field* q = FindField(c.records[1], "QNAME");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->value,
            "b._dns-sd._udp.@\xC2\xA6"
            "5\x01.");
  EXPECT_EQ(c.records[1].id, 101983u);
}

// Regression (issue 11): a stopped scan kept decoding a whole event log; no
// chunk is read once a stop is requested, and the file says so.
TEST(Samples, StopRequestedEndsTheFileWithAProblem) {
  ProcessStop().Request();
  Collected c = ReadAll(Load(kData + "pyevtx__dns_log_malformed_DNSServer.evtx"));
  ProcessStop().Reset();
  ASSERT_TRUE(c.ok);
  EXPECT_TRUE(c.records.empty());
  ASSERT_FALSE(c.stats.problems.empty());
  EXPECT_NE(c.stats.problems.back().message.find("the scan was stopped"), std::string::npos);
  Collected again = ReadAll(Load(kData + "pyevtx__dns_log_malformed_DNSServer.evtx"));
  EXPECT_EQ(again.records.size(), 5u);
}

// Issue 11: --file-timeout ends an event log between chunks and says so.
TEST(Samples, FileTimeoutEndsTheFileWithAProblem) {
  Options o;
  o.max_seconds = 1e-9;
  Collected c = ReadAll(Load(kData + "pyevtx__dns_log_malformed_DNSServer.evtx"), o);
  ASSERT_TRUE(c.ok);
  EXPECT_TRUE(c.stats.timed_out);
  EXPECT_TRUE(c.records.empty());
  ASSERT_FALSE(c.stats.problems.empty());
  EXPECT_NE(c.stats.problems.back().message.find("--file-timeout"), std::string::npos);
}

// Regression (issue 10, "the EVTX copy can emit invalid JSON"): RenderJson had
// its own escaper. Every record of the DNS sample, whose ANSI QNAME holds a
// control byte and a byte above 0x7f, renders as JSON that parses and gives
// the decoded value back.
TEST(Samples, MalformedDnsRecordRendersAsValidJson) {
  Collected c = ReadAll(Load(kData + "pyevtx__dns_log_malformed_DNSServer.evtx"));
  ASSERT_EQ(c.json.size(), 5u);
  for (const std::string& line : c.json) {
    EXPECT_TRUE(nlohmann::json::accept(line)) << line;
  }
  nlohmann::json j = nlohmann::json::parse(c.json[1], nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["fields"]["QNAME"].get<std::string>(),
            "b._dns-sd._udp.@\xC2\xA6"
            "5\x01.");
  EXPECT_NE(c.json[1].find("\\u0001"), std::string::npos);
}

// Bytes that are not UTF-8 (a Record is plain data; any caller may fill one)
// become U+FFFD, one per byte, never raw bytes in the JSON.
TEST(Decode, RenderJsonReplacesInvalidUtf8) {
  Record r;
  r.provider = "P\xa6";
  r.computer = "ok\xc3\xa9";
  r.fields.push_back({"Name\xff", "v\xc3"});
  auto out = RenderJson(r);
  ASSERT_TRUE(out.ok());
  nlohmann::json j = nlohmann::json::parse(*out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << *out;
  EXPECT_EQ(j["provider"].get<std::string>(), "P\xEF\xBF\xBD");
  EXPECT_EQ(j["computer"].get<std::string>(), "ok\xc3\xa9");
  EXPECT_EQ(j["fields"]["Name\xEF\xBF\xBD"].get<std::string>(), "v\xEF\xBF\xBD");
}

TEST(Samples, JunkChunkSlotsAreReported) {
  // The file's header counts 1 chunk, 9 are valid, 8 more slots hold junk.
  Collected c = ReadAll(Load(kData + "omerbenamram-evtx__sysmon.evtx"));
  EXPECT_EQ(c.records.size(), 358u);
  EXPECT_EQ(c.stats.chunks, 9u);
  EXPECT_EQ(c.stats.chunk_slots_unused, 8u);
  EXPECT_EQ(c.stats.problems.size(), 8u);
  EXPECT_TRUE(HasProblem(c.stats, 0x91000, "no chunk signature"));
  Options o;
  o.max_problems = 3;
  Collected capped = ReadAll(Load(kData + "omerbenamram-evtx__sysmon.evtx"), o);
  EXPECT_EQ(capped.stats.problems.size(), 3u);
  EXPECT_EQ(capped.stats.problems_dropped, 5u);
}

TEST(Samples, TruncatedFileReadsEverythingBeforeTheCut) {
  std::vector<std::uint8_t> full = Load(kData + "pyevtx__issue_43_sysmon.evtx");
  Options live_only;
  live_only.recover_slack = false;
  Collected all = ReadAll(full, live_only);
  const std::uint64_t chunk5 = 4096 + 5 * 65536;
  for (std::uint64_t cut : {chunk5 + 30000, chunk5 + 300, chunk5 + 8, std::uint64_t{100}}) {
    SCOPED_TRACE(cut);
    std::vector<std::uint8_t> part(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
    Collected c = ReadAll(part, live_only);
    ASSERT_TRUE(c.ok) << c.error;
    std::vector<std::uint64_t> want;
    for (const Record& r : all.records) {
      std::uint32_t size = detail::Le32(full.data() + r.file_offset + 4);
      if (r.file_offset + size <= cut) want.push_back(r.file_offset);
    }
    std::vector<std::uint64_t> got;
    for (const Record& r : c.records) got.push_back(r.file_offset);
    EXPECT_EQ(got, want);
    if (cut > chunk5) {
      EXPECT_TRUE(HasProblem(c.stats, chunk5, "truncated"));
    }
  }
}

TEST(Samples, BrokenChunkIsSkippedOthersRead) {
  std::vector<std::uint8_t> file = Load(kData + "omerbenamram-evtx__sysmon.evtx");
  Collected clean = ReadAll(file);
  const std::uint64_t chunk2 = 4096 + 2 * 65536, chunk3 = 4096 + 3 * 65536;
  std::size_t in2 = 0, in3 = 0;
  for (const Record& r : clean.records) {
    in2 += r.file_offset >= chunk2 && r.file_offset < chunk2 + 65536;
    in3 += r.file_offset >= chunk3 && r.file_offset < chunk3 + 65536;
  }
  ASSERT_GT(in2, 30u);
  file[chunk2 + 1000] ^= 0x5a;  // Record data: event-records CRC.
  file[chunk3 + 10] ^= 0x01;    // Chunk header: header CRC.
  Collected c = ReadAll(file);
  ASSERT_TRUE(c.ok);
  EXPECT_EQ(c.stats.chunks_bad, 2u);
  EXPECT_TRUE(HasProblem(c.stats, chunk2, "event records checksum mismatch"));
  EXPECT_TRUE(HasProblem(c.stats, chunk3, "chunk header checksum mismatch"));
  EXPECT_EQ(c.records.size(), clean.records.size() - in2 - in3);
  for (const Record& r : c.records) {
    EXPECT_FALSE(r.file_offset >= chunk2 && r.file_offset < chunk3 + 65536);
  }
  // Salvage: the damaged chunks' records are carved and flagged recovered.
  Options o;
  o.salvage_bad_chunks = true;
  Collected s = ReadAll(file, o);
  EXPECT_GE(s.stats.records_recovered, in2 + in3 - 1);
  EXPECT_LE(s.records.size(), clean.records.size());
  for (const Record& r : s.records) {
    bool damaged = r.file_offset >= chunk2 && r.file_offset < chunk3 + 65536;
    EXPECT_EQ(r.recovered, damaged);
  }
  // Best effort (issue 11): CRC-only damage: every record read as usual, the
  // damaged chunks' records flagged checksum_mismatch, the problems still said.
  Options b;
  b.checksum_best_effort = true;
  Collected be = ReadAll(file, b);
  EXPECT_EQ(be.records.size(), clean.records.size());
  EXPECT_EQ(be.stats.chunks_bad, 2u);
  EXPECT_TRUE(HasProblem(be.stats, chunk2, "flagged checksum_mismatch"));
  EXPECT_TRUE(HasProblem(be.stats, chunk3, "flagged checksum_mismatch"));
  for (const Record& r : be.records) {
    bool damaged = r.file_offset >= chunk2 && r.file_offset < chunk3 + 65536;
    EXPECT_EQ(r.checksum_mismatch, damaged);
    EXPECT_FALSE(r.recovered);
  }
}

TEST(Samples, BrokenFileHeaderIsReportedChunksRead) {
  std::vector<std::uint8_t> file = Load(kData + "pyevtx__dns_log_malformed_DNSServer.evtx");
  file[20] ^= 0xff;
  Collected c = ReadAll(file);
  ASSERT_TRUE(c.ok);
  EXPECT_TRUE(HasProblem(c.stats, 124, "file header checksum mismatch"));
  EXPECT_EQ(c.records.size(), 5u);
  file[0] = 'X';  // Signature gone, but a chunk follows: still read.
  c = ReadAll(file);
  ASSERT_TRUE(c.ok);
  EXPECT_TRUE(HasProblem(c.stats, 0, "signature missing"));
  EXPECT_EQ(c.records.size(), 5u);
}

TEST(Samples, RecordCopiedIntoSlackIsRecovered) {
  std::vector<std::uint8_t> file =
      Load(kData + "mdecrevoisier__ID3-7-10_Suspicious_DLL_loaded_CME_Mimikatz.evtx");
  Collected clean = ReadAll(file);
  ASSERT_EQ(clean.records.size(), 5u);
  ASSERT_EQ(clean.stats.records_recovered, 0u);
  // Record 5 reuses record 3's template (both Sysmon event 3), so it holds no
  // inline definitions whose offsets would break when moved.
  const Record& src = clean.records[4];
  ASSERT_EQ(src.event_id, clean.records[2].event_id);
  std::uint32_t size = detail::Le32(file.data() + src.file_offset + 4);
  const std::uint64_t chunk = 4096;
  std::uint32_t free_space = detail::Le32(file.data() + chunk + 48);
  std::uint64_t at = chunk + ((free_space + 7) & ~7u) + 64;
  ASSERT_LT(at + size, chunk + 65536);
  std::memcpy(file.data() + at, file.data() + src.file_offset, size);
  file[at + 8] = 0xe7;  // Header id 999: tell the copy apart.
  file[at + 9] = 0x03;
  // And a framed "record" whose body is garbage: reported, not delivered.
  std::uint64_t junk = at + ((size + 7) & ~7u) + 64;
  std::vector<std::uint8_t> j(64, 0xcc);
  j[0] = 0x2a, j[1] = 0x2a, j[2] = 0, j[3] = 0, j[4] = 64, j[5] = j[6] = j[7] = 0;
  j[60] = 64, j[61] = j[62] = j[63] = 0;
  std::memcpy(file.data() + junk, j.data(), j.size());

  Collected c = ReadAll(file);
  ASSERT_TRUE(c.ok);
  EXPECT_EQ(c.stats.records_bad, 0u);  // Slack is not covered by the CRC.
  ASSERT_EQ(c.records.size(), 6u);
  EXPECT_EQ(c.stats.records_recovered, 1u);
  const Record& r = c.records[5];
  EXPECT_TRUE(r.recovered);
  EXPECT_EQ(r.header_id, 999u);
  EXPECT_EQ(r.file_offset, at);
  EXPECT_EQ(r.id, src.id);
  EXPECT_EQ(r.time_text, src.time_text);
  ASSERT_EQ(r.fields.size(), src.fields.size());
  for (std::size_t i = 0; i < r.fields.size(); ++i) {
    EXPECT_EQ(r.fields[i].name, src.fields[i].name);
    EXPECT_EQ(r.fields[i].value, src.fields[i].value);
  }
  EXPECT_EQ(c.xml[5], c.xml[4]);
  EXPECT_EQ(c.stats.slack_unrecoverable, 1u);
  // Counted, not reported (issue 10: ~200 ERROR lines on the shared samples).
  EXPECT_FALSE(HasProblem(c.stats, junk, "not recoverable"));
  EXPECT_TRUE(c.stats.problems.empty());
  Options off;
  off.recover_slack = false;
  EXPECT_EQ(ReadAll(file, off).records.size(), 5u);
}

TEST(Samples, TwoThreadsSameRecords) {
  std::vector<std::uint8_t> file = Load(kData + "pyevtx__issue_43_sysmon.evtx");
  Collected one = ReadAll(file);
  std::mutex mu;
  std::vector<std::pair<std::uint64_t, std::string>> got;
  Options o;
  o.threads = 2;
  auto r = ReadBuffer(
      file,
      [&](const Record& rec) {
        EXPECT_LT(rec.worker, 2u);
        auto x = RenderXml(rec);
        std::lock_guard<std::mutex> lock(mu);
        got.emplace_back(rec.file_offset, x.ok() ? *x : "");
      },
      o);
  ASSERT_TRUE(r.ok());
  std::vector<std::pair<std::uint64_t, std::string>> want;
  for (std::size_t i = 0; i < one.records.size(); ++i) {
    want.emplace_back(one.records[i].file_offset, one.xml[i]);
  }
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  EXPECT_EQ(r->records, one.stats.records);
  EXPECT_EQ(r->problems.size(), one.stats.problems.size());
}

// ---------------------------------------------------------------------------
// Hostile input

TEST(Hostile, NotEvtx) {
  std::string text = "this is not an event log";
  Collected c = ReadAll(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.error.find("not an EVTX file"), std::string::npos);
  Collected empty = ReadAll(std::span<const std::uint8_t>());
  EXPECT_FALSE(empty.ok);
}

TEST(Hostile, MutatedInputsNeverCrash) {
  // Random byte flips, runs and truncations of real and synthetic files: the
  // reader must finish, and every delivered record must render.
  std::vector<std::vector<std::uint8_t>> seeds = {
      testing::RichSample(true), Load(kData + "pyevtx__dns_log_malformed_DNSServer.evtx"),
      Load(kData + "mdecrevoisier__ID11-13-17-18_PSexec_as_system_execution.evtx")};
  std::mt19937 rng(12345);
  int rendered = 0;
  for (int iter = 0; iter < 600; ++iter) {
    std::vector<std::uint8_t> f = seeds[iter % seeds.size()];
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < flips && f.size() > 4096 + 512 + 1; ++k) {
      // Mostly inside the records area, where the Binary XML is.
      std::size_t pos = 4096 + 512 + rng() % (f.size() - 4096 - 512);
      switch (rng() % 4) {
        case 0:
          f[pos] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
          break;
        case 1:
          f[pos] = static_cast<std::uint8_t>(rng());
          break;
        case 2:
          for (std::size_t i = 0; i < 4 && pos + i < f.size(); ++i) f[pos + i] = 0xff;
          break;
        default:
          f.resize(pos);
          break;
      }
    }
    Options o;
    o.salvage_bad_chunks = (iter % 2) == 0;  // Decode the damaged chunks too.
    Collected c = ReadAll(f, o);
    ASSERT_TRUE(c.ok);
    for (const std::string& x : c.xml) {
      EXPECT_EQ(x.rfind("ERROR", 0), std::string::npos) << x;
      ++rendered;
    }
  }
  EXPECT_GT(rendered, 100);
}

TEST(Hostile, FuzzCorpusReads) {
  // Fuzzer-found inputs kept as regression inputs (fuzz/corpus/evtx, named by
  // SHA-256). None crashed; they cover damaged chunks and Binary XML.
  std::filesystem::path dir = TRAWL_SOURCE_DIR "/fuzz/corpus/evtx";
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::vector<std::uint8_t> f = Load(e.path().string());
    Options o;
    o.salvage_bad_chunks = true;
    Collected c = ReadAll(f, o);
    for (const std::string& x : c.xml) EXPECT_EQ(x.rfind("ERROR", 0), std::string::npos);
    ++n;
  }
  EXPECT_GE(n, 1);
}

TEST(Hostile, SelfReferencingTemplateIsReportedNotFollowed) {
  // The first record's template (defined inline at chunk offset 550) holds a
  // template instance of itself: decoding must stop, report, and go on.
  testing::EvtxBuilder b;
  auto loop = [](testing::BinXmlWriter& t) {
    testing::SystemOpen(t);
    t.out().U8(0x0c);
    t.out().U8(0x01);
    t.out().U32(0x11110000);
    t.out().U32(550);
    t.out().U32(0);  // No values.
    t.End();
    t.End();
  };
  b.AddRecord(1, 1, 0, loop, {});
  auto ok_body = [](testing::BinXmlWriter& t) {
    testing::SystemOpen(t);
    t.SubstElement("Computer", 0, 0x01);
    t.End();
    t.End();
  };
  b.AddRecord(2, 2, 1, ok_body, {testing::Str("fine")});
  Collected c = ReadAll(b.File());
  ASSERT_TRUE(c.ok);
  EXPECT_EQ(c.stats.records_bad, 1u);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].computer, "fine");
  EXPECT_TRUE(HasProblem(c.stats, 4096 + 512, "refers to itself"));
}

TEST(Hostile, DeeplyNestedElementsStop) {
  // A BinXml value nesting 200 elements: element nesting is limited (128),
  // the record is reported, nothing overflows.
  testing::EvtxBuilder b;
  auto body = [](testing::BinXmlWriter& t) {
    testing::SystemOpen(t);
    t.DataElement("X", 0, 0x21);
    t.End();
    t.End();
  };
  b.AddRecord(1, 1, 0, body, {}, [](testing::BinXmlWriter& n) {
    for (int i = 0; i < 200; ++i) {
      n.Open("E", false);
      n.CloseStart();
    }
    for (int i = 0; i < 200; ++i) n.End();
  });
  Collected c = ReadAll(b.File());
  ASSERT_TRUE(c.ok);
  EXPECT_EQ(c.records.size(), 0u);
  EXPECT_EQ(c.stats.records_bad, 1u);
  EXPECT_TRUE(HasProblem(c.stats, 4096 + 512, "nested too deeply"));
}

// ---------------------------------------------------------------------------
// Files

class Files : public ::testing::Test {
 protected:
  testsupport::TempDir tmp_{"trawl-evtx-files"};
  std::string dir_ = tmp_.path();
};

TEST_F(Files, ReadsRegularFilesOnly) {
  std::string good = dir_ + "/good.evtx";
  std::filesystem::copy_file(kData + "pyevtx__dns_log_malformed_DNSServer.evtx", good);
  int n = 0;
  auto r = ReadFile(good, [&](const Record&) { ++n; });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(n, 5);
  EXPECT_EQ(r->bytes, 69632u);

  auto nothing = [](const Record&) {};
  auto missing = ReadFile(dir_ + "/missing.evtx", nothing);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing.evtx"), std::string::npos);
  EXPECT_FALSE(ReadFile(dir_, nothing).ok());  // Directory.
  std::string fifo = dir_ + "/fifo.evtx";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto f = ReadFile(fifo, nothing);  // Must not block.
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("not a regular file"), std::string::npos);
  std::string link = dir_ + "/link.evtx";
  std::filesystem::create_symlink(good, link);
  EXPECT_FALSE(ReadFile(link, nothing).ok());  // O_NOFOLLOW.
  std::string text = dir_ + "/text.evtx";
  std::ofstream(text) << "hello";
  auto t = ReadFile(text, nothing);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("not an EVTX file"), std::string::npos);
}

TEST_F(Files, FileAndBufferAgree) {
  std::string path = kData + "omerbenamram-evtx__sysmon.evtx";
  std::vector<std::string> a, b;
  auto r1 = ReadFile(path, [&](const Record& r) { a.push_back(*RenderJson(r)); });
  ASSERT_TRUE(r1.ok());
  Collected c = ReadAll(Load(path));
  EXPECT_EQ(a, c.json);
  EXPECT_EQ(r1->problems.size(), c.stats.problems.size());
}

}  // namespace
}  // namespace trawl::evtx
