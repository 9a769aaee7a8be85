#include "trawl/testsupport/msi.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace trawl::testsupport {
namespace {

std::string Xml(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string WixSource(const MsiProduct& p, const std::vector<MsiFile>& files) {
  std::string components, refs;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string id = "C" + std::to_string(i + 1);
    components += "          <Component Id=\"" + id + "\" Guid=\"*\"><File Id=\"" +
                  Xml(files[i].key) + "\" Name=\"" + Xml(files[i].name) + "\" Source=\"" +
                  Xml(files[i].name) + "\" KeyPath=\"yes\" /></Component>\n";
    refs += "<ComponentRef Id=\"" + id + "\" />";
  }
  return R"(<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name=")" +
         Xml(p.name) + R"(" Language="1033" Version=")" + Xml(p.version) +
         R"(" Manufacturer="Test"
           UpgradeCode="12345678-1234-1234-1234-123456789012">
    <Package InstallerVersion="200" Compressed="yes" />
    <Media Id="1" Cabinet=")" +
         Xml(p.cabinet) + R"(" EmbedCab="yes" />
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id=")" +
         Xml(p.root) + R"(">
        <Directory Id="INSTALLDIR" Name=")" +
         Xml(p.install_dir) + R"(">
)" + components +
         R"(        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1">)" +
         refs + R"(</Feature>
  </Product>
</Wix>
)";
}

bool BuildMsi(const std::string& dir, const MsiProduct& product, const std::vector<MsiFile>& files,
              const std::string& out) {
  {
    std::ofstream wxs(dir + "/app.wxs", std::ios::binary | std::ios::trunc);
    wxs << WixSource(product, files);
    if (!wxs) {
      ADD_FAILURE() << "cannot write " << dir << "/app.wxs";
      return false;
    }
  }
  const std::string cmd = "cd " + Quote(dir) + " && wixl -o " + Quote(out) + " app.wxs >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    ADD_FAILURE() << "wixl failed: " << cmd;
    return false;
  }
  return true;
}

}  // namespace trawl::testsupport
