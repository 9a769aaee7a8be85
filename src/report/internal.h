// Helpers shared by the report sinks (not part of the public API).
#pragma once

#include <cstddef>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

#include "trawl/core/finding.h"
#include "trawl/core/problem.h"
#include "trawl/core/status.h"

namespace trawl::report {
class Sink;
}  // namespace trawl::report

namespace trawl::report::internal {

// s with every byte that is not part of valid UTF-8 replaced by U+FFFD.
std::string ValidUtf8(std::string_view s);
// Lower-case hex of the bytes.
std::string HexOf(std::string_view s);
// The current time as ISO 8601 UTC with milliseconds ("2024-05-01T10:00:00.123Z").
std::string UtcNowIso();
// A field value as plain text (numbers as written by JSON, strings as is).
std::string PlainValue(const FieldValue& v);
// The finding / summary / problem as the JSON Lines sink writes it, without
// the newline (the JSON Lines sink stays the one definition of the
// contract). An error, never an empty or made-up object, when the record
// could not be written (no memory stream, the sink's write failed).
Result<std::string> FindingJsonLine(const Finding& f);
Result<std::string> SummaryJsonLine(const Summary& s);
Result<std::string> ProblemJsonLine(const Problem& p);
// The seam under those: runs `fn` against a JSON Lines sink writing to the
// stream `open` returns (open_memstream's contract: on success the stream's
// bytes land in *buf / *len when it is closed).
using MemStreamOpener = std::FILE* (*)(char** buf, std::size_t* len);
Result<std::string> CaptureJsonLine(const std::function<void(Sink&)>& fn,
                                    MemStreamOpener open = &open_memstream);
// The verdict from the summary's counts: "compromised", "suspicious",
// "incomplete" (interrupted before anything at warning or above was found),
// "clean".
const char* Verdict(const Summary& s);
// Writes one whole record (a JSON line, a CSV row) and flushes it, so a
// stopped or killed scan leaves only complete records on disk: on a stream
// with a descriptor, the stdio buffer is flushed and the record goes out in
// write(2) calls of its own (one for a regular file); otherwise (memory
// streams) fwrite + fflush. False on a write error.
bool WriteRecord(std::FILE* out, std::string_view record);

}  // namespace trawl::report::internal
