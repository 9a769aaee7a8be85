// Small text helpers shared by stages: escaping for terminals and logs,
// case folding, trimming. ASCII-only on purpose: indicators and paths are bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trawl {

// Escapes control characters (C0, DEL, and C1 when not part of valid UTF-8)
// and backslashes as \n, \t, \e, \xHH, so a hostile file name cannot move the
// cursor or rewrite a terminal. Invalid UTF-8 bytes become \xHH too.
// So do (each byte as \xHH) the code points that change how a line reads
// without being seen: C1 controls, bidi overrides, isolates and marks
// (U+202A..U+202E, U+2066..U+2069, U+200E/F, U+061C), zero-width characters
// (U+200B..U+200D, U+FEFF) and line/paragraph separators (U+2028, U+2029).
std::string EscapeControl(std::string_view s);

// The one list of valid code points every output escapes although they are
// printable in principle: they change how a line reads without being seen
// (the list is in EscapeControl's comment above). Used by the console
// escaper and the HTML report.
bool IsDeceptiveCodePoint(std::uint32_t cp);

// Length (1..4) of the well-formed UTF-8 sequence starting at s[i], or 0 if
// the bytes there are not one (overlong, surrogate, beyond U+10FFFF, cut).
// REQUIRES: i < s.size().
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i);

// Appends code point `cp` as UTF-8. A surrogate (U+D800..U+DFFF) or a value
// beyond U+10FFFF is appended as U+FFFD, so the output is always valid UTF-8.
void AppendUtf8(std::string& out, std::uint32_t cp);

// "4096", "512K", "100M", "16G", "1T" (binary units, case-insensitive, an
// optional trailing "B"/"iB") as bytes; nullopt for a sign, junk, an empty
// string or a value past 2^64-1. The one size syntax of options that sweeps
// declare (the command line's own size flags use CLI11's, which agrees).
std::optional<std::uint64_t> ParseSize(std::string_view s);

std::string ToLowerAscii(std::string_view s);
std::string_view TrimAscii(std::string_view s);
// Strips a trailing "\n", "\r\n" or "\r" (any number of them).
std::string_view StripEol(std::string_view s);
std::vector<std::string_view> Split(std::string_view s, char sep);
bool IsHex(std::string_view s);
// Lowercase hex of the bytes of s, two digits a byte ("path_hex", digests).
std::string HexEncode(std::string_view s);

}  // namespace trawl
