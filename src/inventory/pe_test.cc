// PE version resources: real executables built by MinGW-w64, and hostile bytes.
#include "trawl/inventory/pe.h"

#include <random>

#include "test_util.h"

namespace trawl::inventory {
namespace {

using testing::BuildPe;
using testing::PeSpec;
using testing::TempDir;

const std::uint8_t* U8(const std::string& s) {
  return reinterpret_cast<const std::uint8_t*>(s.data());
}

TEST(PeVersion, ReadsStringsAndFixedInfoOfARealExecutable) {
  struct Row {
    PeSpec spec;
    std::string fixed;
  };
  const Row rows[] = {
      {{"3CX Desktop App", "18.12.416", true}, "18.12.416.0"},
      {{"3CX Desktop App", "18.12.407", true}, "18.12.407.0"},
      {{"Other Thing", "1.2.3.4", true}, "1.2.3.4"},
      {{"No Strings", "7.0.1", false}, "7.0.1.0"},
  };
  for (const Row& r : rows) {
    TempDir dir;
    std::string pe = BuildPe(dir.path(), r.spec);
    ASSERT_GT(pe.size(), 1000u);
    auto v = ReadPeVersion(U8(pe), pe.size());
    ASSERT_TRUE(v.ok()) << v.status().message();
    EXPECT_EQ(v->file_version, r.fixed);
    EXPECT_EQ(v->product_version, r.fixed);
    if (r.spec.strings) {
      EXPECT_EQ(v->strings["ProductName"], r.spec.product);
      EXPECT_EQ(v->strings["ProductVersion"], r.spec.version);
      EXPECT_EQ(v->strings["FileVersion"], r.spec.version);
      EXPECT_EQ(v->strings["CompanyName"], "Test Co");
      EXPECT_EQ(v->strings["FileDescription"], r.spec.product + " (description)");
    } else {
      EXPECT_TRUE(v->strings.empty());
    }
  }
}

TEST(PeVersion, NotPeAndNoResource) {
  struct Row {
    std::string bytes;
    std::string error;
  };
  const Row rows[] = {
      {"", "not a PE file (no MZ)"},
      {std::string(100, 'A'), "not a PE file (no MZ)"},
      {"MZ" + std::string(62, '\0'), "not a PE file (no PE\\0\\0)"},  // e_lfanew 0
      {"MZ" + std::string(58, '\0') + std::string("\xff\xff\0\0", 4),
       "PE: PE header outside the first 4 KiB at offset 60"},
      {"\x7f"
       "ELF" +
           std::string(200, '\0'),
       "not a PE file (no MZ)"},
  };
  for (const Row& r : rows) {
    auto v = ReadPeVersion(U8(r.bytes), r.bytes.size());
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.status().message(), r.error);
  }
}

TEST(PeVersion, EveryTruncationAndCorruptionIsAnErrorNotACrash) {
  TempDir dir;
  std::string pe = BuildPe(dir.path(), {});
  ASSERT_TRUE(ReadPeVersion(U8(pe), pe.size()).ok());
  // Truncations: the resource section is near the end; cut everywhere.
  size_t errors = 0;
  for (size_t n = 0; n < pe.size(); n += (n < 4096 ? 7 : 61)) {
    auto v = ReadPeVersion(U8(pe), n);
    if (!v.ok()) ++errors;
    EXPECT_FALSE(v.ok() && v->file_version != "18.12.416.0") << n;
  }
  EXPECT_GT(errors, 0u);
  // Random byte flips: any result, never a crash (ASan/UBSan check the rest).
  std::mt19937 rng(42);
  for (int i = 0; i < 3000; ++i) {
    std::string bad = pe;
    for (int k = 0; k < 4; ++k) bad[rng() % bad.size()] = static_cast<char>(rng() & 0xFF);
    (void)ReadPeVersion(U8(bad), bad.size());
  }
}

TEST(PeVersion, ReadsOnlyHeadersAndTheResourceSection) {
  TempDir dir;
  std::string pe = BuildPe(dir.path(), {});
  std::uint64_t read_total = 0;
  auto read_at = [&](std::uint64_t off, std::size_t n, std::vector<std::uint8_t>& out) {
    out.clear();
    if (off < pe.size()) {
      size_t m = std::min<std::uint64_t>(n, pe.size() - off);
      out.assign(pe.begin() + static_cast<long>(off), pe.begin() + static_cast<long>(off + m));
      read_total += m;
    }
    return Status::Ok();
  };
  auto v = ReadPeVersion(read_at, pe.size());
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_LT(read_total, pe.size() + 4096);
  auto io_error = [](std::uint64_t, std::size_t, std::vector<std::uint8_t>&) {
    return Status::Error("boom");
  };
  auto e = ReadPeVersion(io_error, 1 << 20);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "boom");
}

}  // namespace
}  // namespace trawl::inventory
