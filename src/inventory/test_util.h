// Helpers for the inventory tests: temporary trees and real PE files built
// with the MinGW-w64 toolchain (gcc-mingw-w64-x86-64, scripts/setup.sh).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "trawl/testsupport/temp_dir.h"

namespace trawl::inventory::testing {

using TempDir = testsupport::TempDir;  // tests/support
using testsupport::ReadFile;

struct PeSpec {
  std::string product = "3CX Desktop App";
  std::string version = "18.12.416";  // also the fixed version, with commas
  bool strings = true;                // a StringFileInfo block
};

// Builds a real Windows x86-64 executable carrying a VERSIONINFO resource
// with windres and x86_64-w64-mingw32-gcc, in `dir`, and returns its bytes.
// Fails the test (no skip) when the toolchain is missing.
inline std::string BuildPe(const std::string& dir, const PeSpec& spec) {
  std::string fixed = spec.version;
  for (char& c : fixed)
    if (c == '.') c = ',';
  int dots = 0;
  for (char c : spec.version) dots += c == '.';
  for (; dots < 3; ++dots) fixed += ",0";
  std::string rc = "1 VERSIONINFO\nFILEVERSION " + fixed + "\nPRODUCTVERSION " + fixed +
                   "\nFILEOS 0x4\nFILETYPE 0x1\nBEGIN\n";
  if (spec.strings) {
    rc +=
        "  BLOCK \"StringFileInfo\"\n  BEGIN\n    BLOCK \"040904b0\"\n    BEGIN\n"
        "      VALUE \"CompanyName\", \"Test Co\"\n"
        "      VALUE \"FileDescription\", \"" +
        spec.product +
        " (description)\"\n"
        "      VALUE \"FileVersion\", \"" +
        spec.version +
        "\"\n"
        "      VALUE \"ProductName\", \"" +
        spec.product +
        "\"\n"
        "      VALUE \"ProductVersion\", \"" +
        spec.version +
        "\"\n"
        "    END\n  END\n";
  }
  rc += "  BLOCK \"VarFileInfo\"\n  BEGIN\n    VALUE \"Translation\", 0x409, 1200\n  END\nEND\n";
  std::ofstream(dir + "/v.rc") << rc;
  std::ofstream(dir + "/m.c") << "int main(void) { return 0; }\n";
  std::string cmd = "cd '" + dir + "' && x86_64-w64-mingw32-windres v.rc -O coff -o v.o && " +
                    "x86_64-w64-mingw32-gcc -s -o app.exe m.c v.o 2>&1";
  int rc_code = std::system(cmd.c_str());
  EXPECT_EQ(rc_code, 0) << "MinGW-w64 toolchain failed (scripts/setup.sh installs "
                           "gcc-mingw-w64-x86-64): "
                        << cmd;
  return ReadFile(dir + "/app.exe");
}

inline std::vector<std::uint8_t> Bytes(const std::string& s) {
  return std::vector<std::uint8_t>(s.begin(), s.end());
}

}  // namespace trawl::inventory::testing
