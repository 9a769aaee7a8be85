// OLE compound files (MSI, MSP, old Office documents) for unpack.cc, through
// libgsf. Internal to the read stage.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>

namespace trawl::read {

class File;
struct Member;

// What the OLE walk reports to the unpacking that called it.
class OleSink {
 public:
  virtual ~OleSink() = default;
  // One stream as a member (state and bytes filled in); false: stop.
  virtual bool Emit(Member& m, int depth) = 0;
  virtual void Error(const std::string& chain, const std::string& message) = 0;
  // n more unpacked bytes; false: a limit was hit (already reported), stop.
  virtual bool Bytes(std::uint64_t n, const std::string& chain) = 0;
  virtual std::uint64_t max_member_bytes() const = 0;
  // An MSI's File table, File key -> long file name, before its streams are
  // emitted (and null after): the members of its cabinets are named by key
  // ("fil3A1C..."), and the installed name ("ffmpeg.dll") is what filename
  // indicators and a responder look for. Null for other compound files.
  virtual void MsiFileNames(const std::map<std::string, std::string>* names) = 0;
};

// An MSI database's File table (File key -> the long part of FileName), read
// from the four table streams of its string pool and column catalog. Any
// damage or an unexpected schema gives an empty map, never a guess.
std::map<std::string, std::string> MsiFileTable(std::span<const std::uint8_t> string_pool,
                                                std::span<const std::uint8_t> string_data,
                                                std::span<const std::uint8_t> columns,
                                                std::span<const std::uint8_t> file_table);

// Every stream of the compound file in `file` (when not null) or `mem`:
// storages are folders ("Storage/Stream"); MSI's encoded stream names are
// decoded ("Binary.cab", not U+3A63...). `chain` names the compound file.
void WalkOle(const File* file, std::span<const std::uint8_t> mem, const std::string& chain,
             int depth, OleSink& sink);

// MSI's stream name encoding undone (code points U+3800..U+4840 hold one or
// two characters of "0-9A-Za-z._"; U+4840 marks a table); other names as
// they are. `name` is UTF-8.
std::string DecodeMsiName(const std::string& name);

}  // namespace trawl::read
