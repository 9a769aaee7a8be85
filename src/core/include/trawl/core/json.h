// The one JSON string escaper. Every JSON trawl writes by hand (the JSON
// Lines sink, the EVTX record rendering) quotes strings through it, so no
// writer can emit invalid JSON: control characters become \uXXXX (or the
// short escapes), and bytes that are not well-formed UTF-8 become U+FFFD,
// one per byte. Callers that must stay lossless add a hex copy of the raw
// bytes when IsValidUtf8 is false (e.g. the sinks' "path_hex").
#pragma once

#include <string>
#include <string_view>

namespace trawl {

// Appends s as a JSON string literal (with the quotes) to out.
void AppendJsonString(std::string& out, std::string_view s);
// True when every byte of s belongs to a well-formed UTF-8 sequence.
bool IsValidUtf8(std::string_view s);

}  // namespace trawl
