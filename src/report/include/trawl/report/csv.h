// CSV output for spreadsheets and ad-hoc tooling.
//
// RFC 4180: comma separated, CRLF line ends, every text cell quoted with
// inner quotes doubled; newlines inside a cell are kept (quoted). One header
// row, then one row per finding and per error record, and a last row with the
// summary (`type` tells which). Text that is not valid UTF-8 has U+FFFD in
// place of the bad bytes and a lossless copy in `path_hex`.
// C0 controls other than TAB, CR and LF (ESC above all), and DEL, are written
// as \xHH, so the file cannot drive the terminal of whoever cats it.
//
// Formula injection: a cell whose first non-space character is = + - @ or
// whose first character is TAB or CR would be run as a formula by Excel,
// LibreOffice or Google Sheets; such cells get a leading apostrophe (') so
// they show as text. The apostrophe is visible in other CSV readers: strip it
// when the cell starts with '= '+ '- '@ (after spaces) '\t or '\r.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "trawl/report/sink.h"

namespace trawl::report {

std::unique_ptr<Sink> MakeCsvSink(std::FILE* out, bool own);

// One quoted, neutralised cell (exposed for tests).
std::string CsvCell(std::string_view text);

}  // namespace trawl::report
