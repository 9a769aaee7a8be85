#include "trawl/report/sink.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "internal.h"

namespace trawl::report {
namespace {

// Runs `fn` against a sink writing into a memory stream; returns the text.
template <typename Make, typename Fn>
std::string Capture(Make make, Fn fn) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  {
    auto sink = make(f);
    fn(*sink);
    EXPECT_TRUE(sink->Close().ok());
  }
  std::fclose(f);
  std::string out(buf, len);
  free(buf);
  return out;
}

Finding SampleFinding(std::string path) {
  Finding f;
  f.path = std::move(path);
  f.size = 42;
  f.hashes["sha1"] = "bf939c9c261d27ee7bb92325cc588624fca75429";
  f.reasons.push_back({"hash", "bf939c9c261d27ee7bb92325cc588624fca75429",
                       "3CX \"ffmpeg.dll\"; trojanized", "builtin:3cx", 100});
  f.score = 100;
  f.level = Level::kAlert;
  f.extra.push_back({"line", std::int64_t{7}});
  return f;
}

TEST(JsonLines, FindingFollowsTheContract) {
  std::string out = Capture([](std::FILE* f) { return MakeJsonLinesSink(f, false); },
                            [](Sink& s) { s.OnFinding(SampleFinding("/tmp/a b\n\"c\"")); });
  ASSERT_EQ(out.back(), '\n');
  ASSERT_EQ(out.find('\n'), out.size() - 1) << "one object per line";
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["type"], "finding");
  EXPECT_EQ(j["level"], "alert");
  EXPECT_EQ(j["score"], 100);
  EXPECT_EQ(j["module"], "file");
  EXPECT_EQ(j["path"], "/tmp/a b\n\"c\"");
  EXPECT_EQ(j["size"], 42);
  EXPECT_EQ(j["hashes"]["sha1"], "bf939c9c261d27ee7bb92325cc588624fca75429");
  ASSERT_EQ(j["reasons"].size(), 1u);
  EXPECT_EQ(j["reasons"][0]["kind"], "hash");
  EXPECT_EQ(j["reasons"][0]["description"], "3CX \"ffmpeg.dll\"; trojanized");
  EXPECT_EQ(j["reasons"][0]["source"], "builtin:3cx");
  EXPECT_EQ(j["reasons"][0]["score"], 100);
  EXPECT_EQ(j["line"], 7);
  EXPECT_FALSE(j.contains("path_hex"));
}

TEST(JsonLines, InvalidUtf8PathKeepsRawBytesInHex) {
  std::string path = "/tmp/bad\xff\xfe.exe";
  std::string out = Capture([](std::FILE* f) { return MakeJsonLinesSink(f, false); },
                            [&](Sink& s) { s.OnFinding(SampleFinding(path)); });
  auto j = nlohmann::json::parse(out);  // must be valid JSON
  EXPECT_EQ(j["path"], "/tmp/bad\xef\xbf\xbd\xef\xbf\xbd.exe");
  EXPECT_EQ(j["path_hex"], "2f746d702f626164fffe2e657865");
}

TEST(JsonLines, ErrorAndSummary) {
  std::string out = Capture([](std::FILE* f) { return MakeJsonLinesSink(f, false); },
                            [](Sink& s) {
                              s.OnError({"/x", "Permission denied"});
                              Summary sum;
                              sum.files = 3;
                              sum.bytes = 100;
                              sum.skipped["fifo"] = 1;
                              sum.errors = 1;
                              sum.alerts = 2;
                              sum.seconds = 1.5;
                              sum.indicator_sets.push_back({"builtin:3cx", "", {{"sha1", 3}}, {}});
                              s.OnSummary(sum);
                            });
  auto nl = out.find('\n');
  auto e = nlohmann::json::parse(out.substr(0, nl));
  EXPECT_EQ(e["type"], "error");
  EXPECT_EQ(e["message"], "Permission denied");
  auto s = nlohmann::json::parse(out.substr(nl + 1));
  EXPECT_EQ(s["type"], "summary");
  EXPECT_EQ(s["files"], 3);
  EXPECT_EQ(s["skipped"]["fifo"], 1);
  EXPECT_EQ(s["findings"]["alert"], 2);
  EXPECT_EQ(s["findings"]["warning"], 0);
  EXPECT_DOUBLE_EQ(s["seconds"].get<double>(), 1.5);
  EXPECT_EQ(s["indicator_sets"][0]["loaded"]["sha1"], 3);
}

std::FILE* NoStream(char**, std::size_t*) {
  errno = ENOMEM;
  return nullptr;
}
std::FILE* FullDevice(char**, std::size_t*) { return std::fopen("/dev/full", "w"); }

// Regression (issue 10): CaptureJsonLine returned "{}" when it failed, so a
// syslog json message or the ECS summary silently carried an empty object.
TEST(CaptureJsonLine, FailureIsAnErrorNeverAnEmptyObject) {
  auto record = [](Sink& s) { s.OnError({"/x", "boom"}); };
  auto ok = internal::CaptureJsonLine(record);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  auto j = nlohmann::json::parse(*ok);
  EXPECT_EQ(j["type"], "error");
  EXPECT_EQ(j["path"], "/x");
  auto none = internal::CaptureJsonLine(record, &NoStream);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("memory stream"), std::string::npos);
  auto full = internal::CaptureJsonLine(record, &FullDevice);  // every write fails
  EXPECT_FALSE(full.ok());
  auto nothing = internal::CaptureJsonLine([](Sink&) {});
  EXPECT_FALSE(nothing.ok());
  auto line = internal::FindingJsonLine(SampleFinding("/f"));
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(nlohmann::json::parse(*line)["path"], "/f");
}

TEST(JsonString, EscapesControlCharacters) {
  std::string out;
  AppendJsonString(out, std::string("a\x01\x1b\x7f", 4));
  EXPECT_EQ(out, "\"a\\u0001\\u001b\\u007f\"");
}

TEST(Console, HostileNamesCannotReachTheTerminal) {
  std::string hostile = "/tmp/\x1b[2J\x1b]0;owned\x07name\nINJECTED [ALERT]";
  std::string out =
      Capture([](std::FILE* f) { return MakeConsoleSink(f, ConsoleOptions{.color = false}); },
              [&](Sink& s) {
                Finding f = SampleFinding(hostile);
                f.reasons[0].description = "desc\x1b[31m";
                s.OnFinding(f);
                s.OnError({hostile, "boom"});
              });
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_EQ(out.find('\x07'), std::string::npos);
  EXPECT_EQ(out.find("\nINJECTED"), std::string::npos) << "newline in a name starts no new line";
  EXPECT_NE(out.find("\\e[2J"), std::string::npos);
}

TEST(Console, ColourOnlyWhenAsked) {
  auto run = [](bool color) {
    return Capture([&](std::FILE* f) { return MakeConsoleSink(f, ConsoleOptions{.color = color}); },
                   [](Sink& s) { s.OnFinding(SampleFinding("/a")); });
  };
  EXPECT_EQ(run(false).find('\x1b'), std::string::npos);
  EXPECT_NE(run(true).find("\x1b[1;31m"), std::string::npos);
}

}  // namespace
}  // namespace trawl::report
