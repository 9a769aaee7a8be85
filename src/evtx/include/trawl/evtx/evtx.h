// EVTX reader: Windows XML Event Log files, read natively and fast.
//
// What it does: walks the file header, every 64 KiB chunk (header and
// event-records CRC32 checked), every event record in a chunk, and decodes the
// record's Binary XML (templates, substitutions of every value type, nested
// Binary XML, entity and character references, CDATA, processing
// instructions). Per record it yields the record id, time, provider, channel,
// event id, computer, level and the named EventData/UserData fields; the full
// event can be rendered as XML or JSON on demand while the callback runs.
//
// What it does not do: resolve message strings from provider resource files
// (no WEVT_TEMPLATE / MUI lookups), follow the file header's chunk count (every
// complete or truncated chunk slot in the file is examined, like libevtx), or
// write anything. Input is untrusted: every offset is bounds-checked, nesting is
// depth-limited, and a broken chunk or record is reported and skipped.
//
// Representation choices (the differential test against libevtx's evtxexport
// documents how they map onto its output):
//  - Times are FILETIME ticks (100 ns since 1601-01-01 UTC) and, as text,
//    UTC ISO 8601 with the full 7-digit tick fraction: "2017-12-26T13:10:29.1368792Z".
//  - Record::event_id is the EventID element's value; its Qualifiers attribute,
//    when present, is in Record::qualifiers (has_qualifiers set). Classic
//    "event identifier" = (qualifiers << 16) | event_id, see FullEventId().
//  - Fields: EventData <Data Name="N">v</Data> gives {N, v}; an unnamed Data
//    element gives {"Data[i]", v} with i its 1-based position among the
//    EventData children; another EventData child element gives {element name, v}.
//    v is all character data inside the element, nested elements included.
//    UserData gives one field per leaf element below its (single) root element,
//    named by the element path below that root joined with '/', and one per
//    attribute (other than xmlns) named "path@attribute".
//  - An element whose only content is optional substitutions that are all
//    empty is left out (as evtxexport does), as is an attribute made only of
//    empty optional substitutions.
//  - Values are rendered like evtxexport: integers in decimal, HexInt32/64 as
//    0x%08x / 0x%016x, GUIDs as {UPPERCASE}, SIDs as S-1-..., binary as
//    uppercase hex, booleans as true/false, size_t in decimal, FILETIME as
//    ISO 8601 UTC with 7 fraction digits, SYSTEMTIME with 3 (milliseconds).
//    Differences: reals are the shortest text that reads back as the same
//    value (evtxexport: "%.6e"), and negative integers are correct (evtxexport
//    20181227 misprints them). An array in element content becomes one copy
//    of the element per item (as evtxexport and Windows render it; in
//    EventData one field per item); an array in an attribute is joined with
//    ", ". UTF-16 is converted to UTF-8; an unpaired surrogate becomes U+FFFD
//    (the unit after it is decoded on its own). ANSI strings are decoded as
//    Windows-1252.
//
// Threads: ReadFile/ReadBuffer are reentrant. With Options::threads > 1, chunks
// are decoded by that many worker threads and `fn` is called concurrently from
// them (never concurrently with the same Record::worker value). Records of one
// chunk arrive in file order; chunks may interleave.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "trawl/core/status.h"
#include "trawl/read/read.h"

namespace trawl::evtx {

namespace detail {
class RecordContext;  // Decoder state a Record may be rendered from (internal).
}  // namespace detail

struct Field {
  std::string name;
  std::string value;
};

// One event record. Passed by reference to the callback; the reference and
// `context` are valid only during that call (the reader reuses the object).
// Copying a Record keeps all values but not the ability to render it.
struct Record {
  // System/EventRecordID when present (what Event Viewer shows; it can differ
  // from the record header's number in exported or filtered logs), else
  // header_id.
  std::uint64_t id = 0;
  std::uint64_t header_id = 0;    // Record header's event record identifier.
  std::uint64_t file_offset = 0;  // Offset of the record header ("**\0\0") in the file.
  // System/TimeCreated@SystemTime when present, else written_filetime.
  std::uint64_t filetime = 0;
  std::uint64_t written_filetime = 0;  // Record header's written time.
  std::string time_text;               // `filetime` as ISO 8601 UTC, 7-digit fraction.
  std::string provider;                // System/Provider@Name.
  std::string channel;                 // System/Channel.
  std::string computer;                // System/Computer.
  std::uint32_t event_id = 0;          // System/EventID value.
  std::uint16_t qualifiers = 0;        // System/EventID@Qualifiers.
  bool has_qualifiers = false;
  int level = -1;             // System/Level, -1 when absent.
  std::vector<Field> fields;  // EventData / UserData, in document order.
  // True for a record carved from chunk slack (after the chunk's free-space
  // offset) or salvaged from a chunk that failed its checks; see Options.
  bool recovered = false;
  // True for a record of a chunk that failed its header or event-records CRC
  // and was read anyway (Options::checksum_best_effort).
  bool checksum_mismatch = false;
  unsigned worker = 0;  // 0 <= worker < Options::threads: index for per-thread state.
  const detail::RecordContext* context = nullptr;

  std::uint32_t FullEventId() const {
    return (static_cast<std::uint32_t>(qualifiers) << 16) | (event_id & 0xffff);
  }
};

// Something wrong in the input: offset into the file (or buffer) and reason.
struct Problem {
  std::uint64_t offset = 0;
  std::string message;
};

struct ReadStats {
  std::uint64_t bytes = 0;                // Size of the input.
  std::uint64_t chunks = 0;               // Chunk slots holding a chunk signature.
  std::uint64_t chunks_bad = 0;           // ... of which failed a check (skipped).
  std::uint64_t chunks_truncated = 0;     // ... of which were cut short by end of input.
  std::uint64_t chunk_slots_unused = 0;   // Slots without a chunk signature (zeros or junk).
  std::uint64_t records = 0;              // Records delivered (including recovered ones).
  std::uint64_t records_bad = 0;          // Records reported and skipped.
  std::uint64_t records_recovered = 0;    // Delivered records flagged `recovered`.
  // Record headers in chunk slack that did not decode: counted only, never a
  // Problem (slack is free space; half-overwritten records are normal there).
  std::uint64_t slack_unrecoverable = 0;
  std::vector<Problem> problems;          // Sorted by offset; capped, see below.
  std::uint64_t problems_dropped = 0;     // Problems beyond Options::max_problems (counted only).
  bool timed_out = false;  // Options::max_seconds ended the read
};

struct Options {
  unsigned threads = 1;  // Worker threads decoding chunks (>= 1).
  // Carve records with a valid header from the slack after a chunk's last
  // record; those that decode completely are delivered with recovered = true.
  bool recover_slack = true;
  // A chunk failing its CRC or header checks is reported and skipped. With
  // this set, its records are still carved like slack (strictly validated)
  // and delivered with recovered = true.
  bool salvage_bad_chunks = false;
  // A chunk whose only fault is a failed CRC (header or event records; its
  // free-space offset in range) is read like a good one, every record still
  // framed and decoded strictly, and its records are delivered with
  // checksum_mismatch = true; the problem is still reported and the chunk
  // counted in chunks_bad. Takes precedence over salvage_bad_chunks for such
  // chunks. Off: such a chunk is skipped (or salvaged) like any bad chunk.
  bool checksum_best_effort = false;
  // Fill Record::fields (EventData/UserData). Off: only the System values.
  bool extract_fields = true;
  std::size_t max_problems = 1000;
  // Seconds for the whole file (--file-timeout); 0 = no limit. No chunk is
  // started past it; a problem says which chunks were not read, and
  // ReadStats::timed_out is set.
  double max_seconds = 0;
};

using RecordFn = std::function<void(const Record&)>;

// Reads the EVTX file at `path` (opened read-only, O_NOFOLLOW, O_NONBLOCK,
// O_NOATIME when permitted; must be a regular file) and calls `fn` once per
// record. Returns an error only when the file cannot be opened or read or is not
// an EVTX file at all; damage inside the file is reported in ReadStats::problems.
// Never throws; exceptions thrown by `fn` are not caught (don't throw).
Result<ReadStats> ReadFile(const std::string& path, const RecordFn& fn, const Options& opts = {});
// Same over a file the reader stage opened already (read::File::OpenWalkedAt:
// the walked entry itself, at any path length). Errors name file.path().
Result<ReadStats> ReadFile(read::File file, const RecordFn& fn, const Options& opts = {});

// Whether `head` (a file's first bytes) starts with the EVTX file signature
// "ElfFile\0": how a file under any name is recognised as an event log.
bool HasFileSignature(std::string_view head);

// Same over an in-memory image of a file. `data` must stay valid until return.
Result<ReadStats> ReadBuffer(std::span<const std::uint8_t> data, const RecordFn& fn,
                             const Options& opts = {});

// Full event as XML, laid out like evtxexport -f xml (2-space indent, one
// element per line, &, <, > and in attributes " escaped; character data is
// otherwise passed through as decoded). REQUIRES: called during the callback
// that received `r` (it re-walks the record's Binary XML through r.context);
// otherwise an error.
Result<std::string> RenderXml(const Record& r);
// Same, appended to `out` (lets a sink reuse one buffer). On error `out` may
// hold a partial rendering after its original contents.
Status AppendXml(const Record& r, std::string& out);

// The Record's values as one line of JSON (works on copies too):
//   {"record_id":N,"time":"...","recovered":false,"provider":"...",
//    "channel":"...","computer":"...","event_id":N[,"qualifiers":N],"level":N,
//    "fields":{"name":"value",...}}
// A repeated field name gets "#2", "#3" ... appended. Strings are quoted by
// trawl::AppendJsonString (control characters as \u00XX, any byte that is not
// well-formed UTF-8 as U+FFFD), so the output is always valid JSON.
Result<std::string> RenderJson(const Record& r);

// Formats FILETIME ticks as "YYYY-MM-DDThh:mm:ss.fffffffZ" (appends to `out`).
void AppendFiletime(std::uint64_t filetime, std::string& out);

}  // namespace trawl::evtx
