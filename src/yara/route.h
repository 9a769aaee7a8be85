// Internal to the yara stage: the lossless routing of rules by file class.
//
// SplitSource cuts one rule file's text into its imports and rules (each rule
// as its exact source text) with a small YARA lexer; it never changes a byte
// of a rule. AnalyseUnit then derives, for each rule, the file classes it can
// possibly match, with a three-valued (true / false / undefined) abstract
// evaluation of its condition that follows libyara's semantics:
//   - `a and b` is true only when both are true, else false (undefined counts
//     as false); `a or b` is true when either is; `not` keeps undefined;
//   - a rule reference is true or false (never undefined);
//   - uintN(K)/uintNbe(K) == / != CONST at the start of the file is decided
//     from the class's leading magic (a file of class ZIP starts with "PK",
//     one of class OTHER starts with no class's magic); a read past the end
//     of a short file is undefined;
//   - filesize compared with a literal is decided per size bucket;
//   - anything else (strings, modules, loops, externals) is
//     unknown: it may be true, false or undefined.
// A rule can match a class unless its condition is provably not true there,
// so a rule the analysis does not understand lands in every class.
// pe.* fields and the functions imphash, exports, imports, is_dll, is_32bit,
// is_64bit and section_index are undefined on a file that is not a PE (the pe
// module parses nothing); pe.is_pe is false or undefined there.
// For a rule that uses the pe module, AnalyseUnit also writes the rule as it
// reads for every class but PE: each subexpression that cannot be true there
// (and has no `not` above it, where false and undefined act alike) becomes
// `false` (keeping its string references), so that sets without PE files
// need no `import "pe"` when no pe reference is left. A unit
// (rule file) that the lexer cannot split, that has an `include` or a
// `global` rule is not routed: it is compiled whole into every class.
//
// For the prefilter (issue 12 part 3), AnalyseUnit also decides whether a
// rule needs one of its strings to match (the same evaluation with every
// string atom false) and writes Vectorscan patterns for its strings
// (StringPatterns); prefilter.h builds the database.
//
// The class of a file is its leading magic only (ClassOf): the same test the
// analysis assumes. Nothing here touches libyara.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace trawl::yara::route {

enum Class : int {
  kPe = 0,    // "MZ"
  kElf,       // "\x7fELF"
  kMachO,     // feedface, feedfacf, cefaedfe, cffaedfe, cafebabe, bebafeca
  kOle,       // d0 cf 11 e0
  kZip,       // "PK"
  kPdf,       // "%PDF"
  kShebang,   // "#!"
  kPhp,       // "<?"
  kAsp,       // "<%"
  kLnk,       // 4c 00 00 00
  kRtf,       // "{\rt"
  kOther,     // none of the above
  kClassCount
};

using ClassMask = std::uint32_t;
constexpr ClassMask kAllClasses = (1u << kClassCount) - 1;

// A route is a class and a size bucket: files under kLargeFile bytes (route
// 2 * class) and the others (2 * class + 1). `filesize` comparisons with a
// literal are decided per bucket.
constexpr std::uint64_t kLargeFile = 1u << 20;
constexpr int kRouteCount = 2 * kClassCount;
using RouteMask = std::uint32_t;
constexpr RouteMask kAllRoutes = (1u << kRouteCount) - 1;
int RouteOf(const std::uint8_t* data, std::size_t n);

// Short lower-case name for summaries ("pe", "elf", ..., "other").
const char* ClassName(int c);

// The class of a file from its first bytes (first matching magic).
Class ClassOf(const std::uint8_t* data, std::size_t n);

struct RuleText {
  std::string name;
  std::string text;  // the rule's exact source, from its modifiers to its closing brace
  bool is_private = false;
  bool is_global = false;
  std::vector<std::string> condition;  // the condition's tokens
  std::size_t condition_at = 0;        // offset in `text` just after "condition:"
};

struct SplitUnit {
  bool ok = false;        // false: could not be split (compile the unit whole)
  bool has_include = false;
  std::vector<std::string> imports;  // module names, in order
  std::vector<RuleText> rules;
};

SplitUnit SplitSource(std::string_view text);

// One form of one string of a rule as a Vectorscan expression (PCRE syntax,
// every byte of a text string escaped as \xHH, nocase spelled out as
// classes such as [Aa]), for the prefilter (issue 12 part 3). An expression
// must match wherever libyara could match that form of the string; it may
// match more (fullword is ignored, regexes run in prefilter mode).
struct StringPattern {
  std::string expr;
  bool caseless = false;  // a regex with /i or `nocase`
  bool dotall = false;    // a regex with /s, or a hex string (wildcards are any byte)
  bool literal = false;   // from a text string: plain escaped bytes, always compiles
  std::string id;         // the string's identifier ("$a"; "$" when anonymous)
};

// The prefilter patterns of every string of a rule (`rule_text` is
// RuleText::text). Returns false when some string has no pattern that is
// sure to cover it (base64, a wide regex, a modifier or escape this code
// does not know): the rule then cannot be skipped.
// `ids` (if given) gets each string's identifier, one per string, in order.
bool StringPatterns(std::string_view rule_text, std::vector<StringPattern>& out,
                    std::vector<std::string>* ids = nullptr);

// Per-rule facts derived from a split unit.
struct RuleFacts {
  ClassMask classes = kAllClasses;   // classes the rule can possibly match (either bucket)
  RouteMask routes = kAllRoutes;     // routes the rule can possibly match
  std::vector<std::size_t> refs;     // indices (in the unit) of rules its condition names
  std::vector<std::string> modules;  // imported modules its condition uses
  bool uses_md5 = false;             // uses the `md5` external variable
  // For rules that use pe: the rule for every class but PE, its pe branches
  // that cannot be true there replaced by false (empty: no such rewrite; the
  // rule keeps its text and the set its `import "pe"`), and its modules.
  std::string non_pe_text;
  std::vector<std::string> non_pe_modules;
  // The prefilter (part 3). needs_strings: the condition cannot be true
  // unless one of the rule's own strings matched or a skippable rule it
  // references is true; evaluated three-valued with every string atom
  // (`$a`, `$a at/in ...`, `N of ...` with N >= 1, `#a > K`, ...) false.
  // A rule such as `filesize < 10`, `not $a`, `#a == 0` or
  // `uint16(0) == 0x5a4d` alone is string-free-capable (needs_strings false).
  // prefilterable: every string has patterns (the usable filter accepted
  // them all). A skippable rule cannot match a file in which none of its
  // patterns, nor those of the skippable rules it references, occurs.
  // When the condition cannot be true without one particular string (e.g.
  // `$a and 1 of ($b*)`, `all of them`), only that string's patterns are
  // kept: the most selective such string's.
  bool needs_strings = false;
  bool prefilterable = false;
  std::vector<StringPattern> patterns;
  bool skippable() const { return needs_strings && prefilterable; }
};

// Whether the prefilter can compile a pattern (the yara stage asks
// Vectorscan); empty: every pattern is usable.
using PatternFilter = std::function<bool(const StringPattern&)>;

// Facts for every rule of `unit` (in order). Requires unit.ok.
std::vector<RuleFacts> AnalyseUnit(const SplitUnit& unit, const PatternFilter& usable = {});

// Whether a condition (tokens) needs a string to be true, with rule
// references resolved by `known` (true: a skippable rule). Exposed for tests.
bool ConditionNeedsStrings(const std::vector<std::string>& tokens,
                           const std::vector<std::pair<std::string, bool>>& known);

// The classes a condition (tokens) can match; `known` gives, for rule
// references, the classes of earlier rules by name (a name not in it is
// unknown). Exposed for tests.
// `known` holds route masks.
RouteMask ConditionRoutes(const std::vector<std::string>& tokens,
                          const std::vector<std::pair<std::string, RouteMask>>& known);
// The classes of ConditionRoutes (a class where either bucket can match).
ClassMask ConditionClasses(const std::vector<std::string>& tokens,
                           const std::vector<std::pair<std::string, RouteMask>>& known);

// Whether any token of a condition is the `md5` external (not a module's
// member such as hash.md5). Exposed for tests.
bool UsesExternal(const std::vector<std::string>& tokens, std::string_view name);

}  // namespace trawl::yara::route
