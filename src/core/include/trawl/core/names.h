// Registered names shared by the sweeps that write findings and the sinks
// that read them: module names (Finding::module, ErrorRecord::module, the
// --modules list) and reason kinds (Reason::kind). Sweeps and sinks use
// these constants, never a spelled-out string, so a sink's special case
// cannot drift from the sweep it serves. The JSON Lines values are these
// strings (a contract: add, never rename).
#pragma once

#include <string_view>

namespace trawl {

namespace module {
inline constexpr std::string_view kFile = "file";
inline constexpr std::string_view kLog = "log";
inline constexpr std::string_view kEvtx = "evtx";
inline constexpr std::string_view kJournal = "journal";
inline constexpr std::string_view kBrowser = "browser";
inline constexpr std::string_view kInventory = "inventory";
inline constexpr std::string_view kProcess = "process";
inline constexpr std::string_view kNetwork = "network";
inline constexpr std::string_view kSigma = "sigma";
}  // namespace module

namespace reason {
inline constexpr std::string_view kHash = "hash";
inline constexpr std::string_view kFilename = "filename";
inline constexpr std::string_view kYara = "yara";
inline constexpr std::string_view kC2 = "c2";
inline constexpr std::string_view kKeyword = "keyword";
inline constexpr std::string_view kSigma = "sigma";
}  // namespace reason

}  // namespace trawl
