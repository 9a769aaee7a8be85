// Test support: real MSI installers built with msitools' wixl, one WiX source
// for every test that needs one. Each file is one component of the product,
// all in one embedded cabinet, so the cabinet names its members by File key
// (as WiX-built installers do) and the File table holds the installed names.
#pragma once

#include <string>
#include <vector>

namespace trawl::testsupport {

struct MsiFile {
  std::string key;   // the File table key: the member's name inside the cabinet
  std::string name;  // the installed name (FileName); also the Source file, in the build folder
};

struct MsiProduct {
  std::string name = "Test App";
  std::string version = "1.0.0.0";        // ProductVersion
  std::string cabinet = "Binary.cab";     // the embedded cabinet's stream name
  std::string root = "ProgramFilesFolder";
  std::string install_dir = "TestApp";
};

// The WiX source (XML) for `product` with `files`.
std::string WixSource(const MsiProduct& product, const std::vector<MsiFile>& files);

// Writes `dir`/app.wxs and runs wixl in `dir` (the files' Sources are relative
// to it), writing `out` (absolute, or relative to `dir`). A failure fails the
// running test and returns false.
bool BuildMsi(const std::string& dir, const MsiProduct& product, const std::vector<MsiFile>& files,
              const std::string& out);

}  // namespace trawl::testsupport
