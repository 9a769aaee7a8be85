// Registrable domains and public suffixes through the Public Suffix List
// (libpsl). Used wherever trawl decides what a domain is: free-text indicator
// files (a token is a domain only under a real public suffix, so "ffmpeg.dll"
// is not one) and registrable domains ("www.x.co.uk" -> "x.co.uk").
//
// The list is the packaged data file (Debian's `publicsuffix`,
// psl_dist_filename(), /usr/share/publicsuffix/public_suffix_list.dafsa),
// not libpsl's compiled-in copy, which may be older. It is loaded once, on
// first use, and shared read-only; every function is thread-safe. The "*"
// default rule is never applied: an unknown TLD is no public suffix.
#pragma once

#include <string>
#include <string_view>

namespace trawl::ioc {

// Whether the PSL data file loaded; PslSource() names it (or says why not).
bool PslAvailable();
std::string PslSource();

// The public suffix of a lower-case host name ("co.uk" for "www.x.co.uk"),
// or empty if its TLD is on no rule of the list (or the list is unavailable).
std::string PublicSuffix(std::string_view host);
// The registrable domain (the public suffix plus one label: "x.co.uk" for
// "www.x.co.uk"), or empty if there is none ("co.uk", "ffmpeg.dll").
std::string RegistrableDomain(std::string_view host);

}  // namespace trawl::ioc
