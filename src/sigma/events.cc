// Event adapters; see events.h for the field names each input gives.
#include "trawl/sigma/events.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cstring>
#include <ctime>

namespace trawl::sigma {

// ---- EventBuilder ----

void EventBuilder::Reset() {
  arena_.clear();
  items_.clear();
  event_.channel = event_.provider = event_.computer = event_.time = {};
  event_.event_id = 0;
  event_.has_event_id = false;
  event_.record = 0;
  event_.category = event_.product = event_.service = {};
  event_.fields.clear();
  event_.raw = {};
}

void EventBuilder::Add(std::string_view name, std::string_view value) {
  Item it{true, arena_.size(), name.size(), 0, value.size(), {}, {}};
  arena_.append(name);
  it.vo = arena_.size();
  arena_.append(value);
  items_.push_back(it);
}

void EventBuilder::AddView(std::string_view name, std::string_view value) {
  items_.push_back({false, 0, 0, 0, 0, name, value});
}

Event& EventBuilder::Finish() {
  event_.fields.clear();
  event_.fields.reserve(items_.size());
  for (const Item& it : items_) {
    if (it.owned)
      event_.fields.emplace_back(std::string_view(arena_).substr(it.no, it.nl),
                                 std::string_view(arena_).substr(it.vo, it.vl));
    else
      event_.fields.emplace_back(it.n, it.v);
  }
  return event_;
}

namespace {

// Epoch seconds (with fraction) -> ISO 8601 UTC with milliseconds.
std::string EpochIso(double secs) {
  if (!(secs > 0) || secs > 4e10) return "";
  std::time_t t = static_cast<std::time_t>(secs);
  int ms = static_cast<int>((secs - static_cast<double>(t)) * 1000.0 + 0.5);
  if (ms >= 1000) {
    ms -= 1000;
    ++t;
  }
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

}  // namespace

// ---- EVTX ----

Event& FromEvtx(const evtx::Record& r, EventBuilder& b) {
  b.Reset();
  b.Add("EventID", std::to_string(r.event_id));
  b.AddView("Channel", r.channel);
  b.AddView("Provider_Name", r.provider);
  b.AddView("Computer", r.computer);
  if (r.level >= 0) b.Add("Level", std::to_string(r.level));
  b.Add("EventRecordID", std::to_string(r.id));
  for (const evtx::Field& f : r.fields) {
    std::string_view v = f.value;
    // HexInt32/64 values: the reader renders them zero-padded (as evtxexport),
    // Windows and SigmaHQ's rules write them without the padding ("0x1fffff").
    if ((v.size() == 10 || v.size() == 18) && v[0] == '0' && v[1] == 'x' && v[2] == '0' &&
        v.find_first_not_of("0123456789abcdef", 2) == std::string_view::npos) {
      std::size_t nz = v.find_first_not_of('0', 2);
      b.Add(f.name, nz == std::string_view::npos ? std::string("0x0")
                                                 : "0x" + std::string(v.substr(nz)));
      continue;
    }
    b.AddView(f.name, f.value);
    std::size_t slash = f.name.rfind('/');
    if (slash != std::string::npos && f.name.find('@') == std::string::npos)
      b.AddView(std::string_view(f.name).substr(slash + 1), f.value);
  }
  Event& e = b.Finish();
  e.channel = r.channel;
  e.provider = r.provider;
  e.computer = r.computer;
  e.time = r.time_text;
  e.event_id = r.event_id;
  e.has_event_id = true;
  e.record = r.id;
  return e;
}

// ---- detection ----

const char* InputKindName(InputKind k) {
  switch (k) {
    case InputKind::kEvtx: return "evtx";
    case InputKind::kJson: return "json";
    case InputKind::kW3c: return "w3c";
    case InputKind::kZeek: return "zeek";
    case InputKind::kSquid: return "squid";
    case InputKind::kNone: break;
  }
  return "none";
}

namespace {

bool EndsWith(std::string_view s, std::string_view suf) {
  if (s.size() < suf.size()) return false;
  for (std::size_t i = 0; i < suf.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[s.size() - suf.size() + i])) != suf[i])
      return false;
  return true;
}

std::vector<std::string_view> SplitWs(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::vector<std::string_view> SplitOn(std::string_view s, std::string_view sep) {
  std::vector<std::string_view> out;
  std::size_t b = 0;
  while (true) {
    std::size_t e = s.find(sep, b);
    out.push_back(s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
    if (e == std::string_view::npos) break;
    b = e + sep.size();
  }
  return out;
}

bool SquidLine(std::string_view line) {
  auto t = SplitWs(line);
  if (t.size() < 7) return false;
  std::string_view ts = t[0];
  std::size_t dot = ts.find('.');
  if (dot == std::string_view::npos || dot < 9) return false;
  for (std::size_t i = 0; i < ts.size(); ++i)
    if (i != dot && !std::isdigit(static_cast<unsigned char>(ts[i]))) return false;
  std::size_t slash = t[3].find('/');
  return slash != std::string_view::npos && slash > 0;
}

}  // namespace

InputKind DetectInput(std::string_view path, std::string_view head) {
  if (head.size() >= 8 && std::memcmp(head.data(), "ElfFile\0", 8) == 0) return InputKind::kEvtx;
  std::size_t i = 0;
  if (head.size() >= 3 && std::memcmp(head.data(), "\xef\xbb\xbf", 3) == 0) i = 3;
  while (i < head.size() && std::isspace(static_cast<unsigned char>(head[i]))) ++i;
  std::string_view h = head.substr(i);
  if (h.rfind("#separator", 0) == 0) return InputKind::kZeek;
  if (h.rfind("#Software:", 0) == 0 || h.rfind("#Version:", 0) == 0 || h.rfind("#Fields:", 0) == 0 ||
      h.rfind("#Date:", 0) == 0)
    return InputKind::kW3c;
  if (!h.empty() && (h[0] == '{' || h[0] == '[')) {
    if (EndsWith(path, ".json") || EndsWith(path, ".jsonl") || EndsWith(path, ".ndjson") ||
        h.find("\"EventID\"") != std::string_view::npos || h.find("\"Event\"") != std::string_view::npos)
      return InputKind::kJson;
    return InputKind::kNone;
  }
  std::string_view first = h.substr(0, h.find('\n'));
  if (SquidLine(first)) return InputKind::kSquid;
  return InputKind::kNone;
}

// ---- JSON ----

namespace {

using nlohmann::json;

bool ScalarText(const json& v, std::string& out) {
  switch (v.type()) {
    case json::value_t::string:
      out = v.get_ref<const std::string&>();
      return true;
    case json::value_t::number_integer:
      out = std::to_string(v.get<std::int64_t>());
      return true;
    case json::value_t::number_unsigned:
      out = std::to_string(v.get<std::uint64_t>());
      return true;
    case json::value_t::number_float:
      out = v.dump();
      return true;
    case json::value_t::boolean:
      out = v.get<bool>() ? "true" : "false";
      return true;
    default:
      return false;
  }
}

// A value that may be {"#text": X, "#attributes": {...}}.
const json* TextOf(const json& v) {
  if (v.is_object()) {
    auto it = v.find("#text");
    return it == v.end() ? nullptr : &*it;
  }
  return &v;
}

void AddScalarOrArray(EventBuilder& b, const std::string& name, const json& v) {
  std::string text;
  if (v.is_array()) {
    for (const json& x : v)
      if (ScalarText(x, text)) b.Add(name, text);
  } else if (ScalarText(v, text)) {
    b.Add(name, text);
  }
}

void AddUserData(EventBuilder& b, const std::string& path, const json& v, bool nested) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it.key() == "#attributes") {
        if (it->is_object())
          for (auto a = it->begin(); a != it->end(); ++a) {
            if (a.key() == "xmlns") continue;
            std::string text;
            if (ScalarText(*a, text)) b.Add(path + "@" + a.key(), text);
          }
        continue;
      }
      if (it.key() == "#text") {
        AddScalarOrArray(b, path, *it);
        if (nested) {
          std::size_t slash = path.rfind('/');
          AddScalarOrArray(b, path.substr(slash + 1), *it);
        }
        continue;
      }
      std::string p = path.empty() ? it.key() : path + "/" + it.key();
      AddUserData(b, p, *it, !path.empty());
    }
    return;
  }
  if (path.empty()) return;
  AddScalarOrArray(b, path, v);
  if (nested) AddScalarOrArray(b, path.substr(path.rfind('/') + 1), v);
}

void AddEventData(EventBuilder& b, const json& ed) {
  if (!ed.is_object()) return;
  int position = 0;
  for (auto it = ed.begin(); it != ed.end(); ++it) {
    const std::string& k = it.key();
    if (k == "#attributes") continue;
    const json& v = *it;
    if (k == "Data" && v.is_array()) {
      for (const json& d : v) {
        ++position;
        if (d.is_object() && d.contains("#attributes") && d["#attributes"].contains("Name")) {
          std::string name, text;
          if (!ScalarText(d["#attributes"]["Name"], name)) continue;
          if (const json* t = TextOf(d); t && ScalarText(*t, text)) b.Add(name, text);
        } else if (const json* t = TextOf(d); t && !t->is_object()) {
          std::string text;
          if (ScalarText(*t, text)) b.Add("Data[" + std::to_string(position) + "]", text);
        }
      }
      continue;
    }
    if (k == "Data" && v.is_object() && v.contains("#text")) {
      const json& t = v["#text"];
      if (t.is_array()) {
        for (const json& x : t) {
          ++position;
          std::string text;
          if (ScalarText(x, text)) b.Add("Data[" + std::to_string(position) + "]", text);
        }
      } else {
        ++position;
        std::string text;
        if (ScalarText(t, text)) b.Add("Data[" + std::to_string(position) + "]", text);
      }
      continue;
    }
    ++position;
    if (const json* t = TextOf(v)) {
      AddScalarOrArray(b, k, *t);
    }
  }
}

void AddFlat(EventBuilder& b, const std::string& prefix, const json& obj, int depth) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    std::string name = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object()) {
      if (depth < 8) AddFlat(b, name, *it, depth + 1);
    } else {
      AddScalarOrArray(b, name, *it);
    }
  }
}

}  // namespace

bool JsonObjectEvent(std::string_view text, EventBuilder& b, std::string* error) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    if (error) *error = j.is_discarded() ? "invalid JSON" : "not a JSON object";
    return false;
  }
  b.Reset();
  const json* ev = &j;
  if (auto it = j.find("Event"); it != j.end() && it->is_object()) ev = &*it;
  auto sys_it = ev->find("System");
  std::string channel, provider, computer, time, text_value;
  std::uint64_t record = 0;
  bool has_id = false;
  std::uint32_t event_id = 0;
  if (sys_it != ev->end() && sys_it->is_object()) {
    const json& sys = *sys_it;
    if (auto p = sys.find("Provider"); p != sys.end()) {
      if (p->is_object()) {
        const json* attrs = p->contains("#attributes") ? &(*p)["#attributes"] : &*p;
        if (attrs->contains("Name")) ScalarText((*attrs)["Name"], provider);
      } else {
        ScalarText(*p, provider);
      }
    }
    if (sys.contains("Provider_Name")) ScalarText(sys["Provider_Name"], provider);
    if (auto e = sys.find("EventID"); e != sys.end()) {
      if (const json* t = TextOf(*e); t && ScalarText(*t, text_value)) {
        char* end = nullptr;
        unsigned long v = std::strtoul(text_value.c_str(), &end, 10);
        if (end && *end == 0 && !text_value.empty()) {
          has_id = true;
          event_id = static_cast<std::uint32_t>(v);
        }
      }
    }
    if (sys.contains("Channel")) ScalarText(sys["Channel"], channel);
    if (sys.contains("Computer")) ScalarText(sys["Computer"], computer);
    if (sys.contains("EventRecordID")) {
      if (ScalarText(sys["EventRecordID"], text_value)) record = std::strtoull(text_value.c_str(), nullptr, 10);
    }
    if (auto t = sys.find("TimeCreated"); t != sys.end() && t->is_object()) {
      const json* attrs = t->contains("#attributes") ? &(*t)["#attributes"] : &*t;
      if (attrs->contains("SystemTime")) ScalarText((*attrs)["SystemTime"], time);
    }
    if (has_id) b.Add("EventID", std::to_string(event_id));
    b.Add("Channel", channel);
    b.Add("Provider_Name", provider);
    b.Add("Computer", computer);
    if (auto l = sys.find("Level"); l != sys.end()) AddScalarOrArray(b, "Level", *l);
    if (sys.contains("EventRecordID")) b.Add("EventRecordID", std::to_string(record));
    if (auto ed = ev->find("EventData"); ed != ev->end()) AddEventData(b, *ed);
    if (auto ud = ev->find("UserData"); ud != ev->end() && ud->is_object()) {
      for (auto root = ud->begin(); root != ud->end(); ++root)
        if (root.key() != "#attributes") AddUserData(b, "", *root, false);
    }
  } else {
    AddFlat(b, "", *ev, 0);
    auto pick = [&](const char* key, std::string& out) {
      if (auto it = ev->find(key); it != ev->end()) ScalarText(*it, out);
    };
    pick("Channel", channel);
    pick("Provider_Name", provider);
    pick("Computer", computer);
    std::string rec;
    pick("EventRecordID", rec);
    record = std::strtoull(rec.c_str(), nullptr, 10);
    pick("TimeCreated", time);
    if (time.empty()) pick("@timestamp", time);
    std::string id;
    pick("EventID", id);
    if (!id.empty()) {
      char* end = nullptr;
      unsigned long v = std::strtoul(id.c_str(), &end, 10);
      if (end && *end == 0) {
        has_id = true;
        event_id = static_cast<std::uint32_t>(v);
      }
    }
  }
  // System facts point into owned copies (appended as hidden fields' text).
  b.Add("\x01time", time);
  b.Add("\x01channel", channel);
  b.Add("\x01provider", provider);
  b.Add("\x01computer", computer);
  Event& e2 = b.Finish();
  // The four hidden entries are the last ones; lift them out of the fields.
  std::size_t n = e2.fields.size();
  e2.time = e2.fields[n - 4].second;
  e2.channel = e2.fields[n - 3].second;
  e2.provider = e2.fields[n - 2].second;
  e2.computer = e2.fields[n - 1].second;
  e2.fields.resize(n - 4);
  e2.event_id = event_id;
  e2.has_event_id = has_id;
  e2.record = record;
  return true;
}

TextStats ParseJsonEvents(std::string_view text, EventBuilder& b, const EventFn& fn,
                          const ProblemFn& problem) {
  TextStats st;
  // JSON Lines when the first line is one whole object: then a broken line
  // costs only itself.
  {
    std::size_t first = text.find_first_not_of(" \t\r\n");
    std::size_t nl = first == std::string_view::npos ? first : text.find('\n', first);
    if (first != std::string_view::npos && text[first] == '{' && nl != std::string_view::npos &&
        json::accept(text.substr(first, nl - first))) {
      std::uint64_t line = 0;
      std::size_t pos = 0;
      while (pos < text.size()) {
        std::size_t e = text.find('\n', pos);
        if (e == std::string_view::npos) e = text.size();
        std::string_view l = text.substr(pos, e - pos);
        ++line;
        pos = e + 1;
        if (l.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        std::string err;
        if (JsonObjectEvent(l, b, &err)) {
          st.events++;
          fn(b.event());
        } else {
          st.bad++;
          problem("line " + std::to_string(line), err);
        }
      }
      return st;
    }
  }
  int depth = 0, base = 0;
  bool in_str = false, esc = false;
  std::size_t start = std::string_view::npos;
  std::uint64_t line = 1, start_line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') ++line;
    if (in_str) {
      if (esc) {
        esc = false;
      } else if (c == '\\') {
        esc = true;
      } else if (c == '"') {
        in_str = false;
      }
      continue;
    }
    if (c == '"') {
      in_str = true;
    } else if (c == '{' || c == '[') {
      if (depth == 0 && c == '[' && start == std::string_view::npos) {
        base = 1;
        depth = 1;
        continue;
      }
      if (depth == base && c == '{') {
        start = i;
        start_line = line;
      }
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
      if (depth == base && c == '}' && start != std::string_view::npos) {
        std::string err;
        if (JsonObjectEvent(text.substr(start, i + 1 - start), b, &err)) {
          st.events++;
          fn(b.event());
        } else {
          st.bad++;
          problem("line " + std::to_string(start_line), err);
        }
        start = std::string_view::npos;
      }
      if (depth < base || depth < 0) {
        depth = 0;
        base = 0;
      }
    }
  }
  if (start != std::string_view::npos) {
    st.bad++;
    problem("line " + std::to_string(start_line), "JSON object cut short at end of file");
  }
  return st;
}

// ---- text logs ----

TextLogParser::TextLogParser(InputKind kind) : kind_(kind) {}

namespace {

std::string_view UrlHost(std::string_view url) {
  std::size_t p = url.find("://");
  std::string_view rest = p == std::string_view::npos ? url : url.substr(p + 3);
  std::size_t end = rest.find_first_of("/?#");
  rest = rest.substr(0, end);
  std::size_t at = rest.rfind('@');
  if (at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest[0] == '[') {
    std::size_t close = rest.find(']');
    return close == std::string_view::npos ? rest : rest.substr(1, close - 1);
  }
  std::size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos) rest = rest.substr(0, colon);
  return rest;
}

void UrlParts(EventBuilder& b, std::string_view url, bool with_host) {
  if (with_host) b.Add("cs-host", UrlHost(url));
  std::string_view path = url;
  std::size_t p = url.find("://");
  if (p != std::string_view::npos) {
    std::size_t slash = url.find('/', p + 3);
    path = slash == std::string_view::npos ? std::string_view("/") : url.substr(slash);
  }
  std::size_t q = path.find('?');
  std::string_view stem = path.substr(0, q);
  b.Add("c-uri-stem", stem);
  if (q != std::string_view::npos) b.Add("c-uri-query", path.substr(q + 1));
  std::size_t last = stem.rfind('/');
  std::string_view seg = last == std::string_view::npos ? stem : stem.substr(last + 1);
  std::size_t dot = seg.rfind('.');
  if (dot != std::string_view::npos && dot + 1 < seg.size()) b.Add("c-uri-extension", seg.substr(dot + 1));
}

std::string DecodeZeekSep(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x') {
      std::string hex(s.substr(i + 2, 2));
      out.push_back(static_cast<char>(std::strtol(hex.c_str(), nullptr, 16)));
      i += 3;
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

void TextLogParser::Line(std::string_view line, std::uint64_t line_no, EventBuilder& b,
                         const EventFn& fn) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return;
  if (kind_ == InputKind::kW3c && line[0] == '#') {
    if (line.rfind("#Fields:", 0) == 0) {
      fields_.clear();
      proxy_ = has_c_uri_ = false;
      for (std::string_view f : SplitWs(line.substr(8))) {
        fields_.emplace_back(f);
        if (f == "c-uri" || f == "r-dns" || f == "cs-uri" || f == "s-action") proxy_ = true;
        if (f == "c-uri") has_c_uri_ = true;
      }
    }
    return;
  }
  if (kind_ == InputKind::kZeek && line[0] == '#') {
    auto parts = SplitOn(line, line.rfind("#separator", 0) == 0 ? std::string_view(" ") : std::string_view(sep_));
    if (parts.size() < 2) return;
    std::string_view key = parts[0];
    if (key == "#separator") {
      sep_ = DecodeZeekSep(parts[1]);
      if (sep_.empty()) sep_ = "\t";
    } else if (key == "#path") {
      path_ = std::string(parts[1]);
    } else if (key == "#unset_field") {
      unset_ = std::string(parts[1]);
    } else if (key == "#empty_field") {
      empty_ = std::string(parts[1]);
    } else if (key == "#fields") {
      fields_.clear();
      for (std::size_t i = 1; i < parts.size(); ++i) fields_.emplace_back(parts[i]);
    }
    return;
  }
  b.Reset();
  std::string time;
  if (kind_ == InputKind::kW3c) {
    auto vals = SplitWs(line);
    if (fields_.empty() || vals.size() != fields_.size()) {
      ++bad_;
      return;
    }
    std::string_view date, clock, stem, query;
    for (std::size_t i = 0; i < vals.size(); ++i) {
      const std::string& f = fields_[i];
      std::string_view v = vals[i];
      if (f == "date") date = v;
      if (f == "time") clock = v;
      if (v == "-") continue;
      b.Add(f, v);
      if (f == "cs(User-Agent)") {
        b.Add("c-useragent", v);
        b.Add("cs-user-agent", v);
      } else if (f == "cs(Referer)") {
        b.Add("cs-referer", v);
      } else if (f == "cs(Cookie)") {
        b.Add("cs-cookie", v);
      } else if (f == "cs-uri-stem") {
        stem = v;
      } else if (f == "cs-uri-query") {
        query = v;
      }
    }
    if (!has_c_uri_ && !stem.empty()) {
      std::string uri(stem);
      if (!query.empty()) uri += "?" + std::string(query);
      b.Add("c-uri", uri);
    }
    if (!date.empty() && !clock.empty()) time = std::string(date) + "T" + std::string(clock) + "Z";
  } else if (kind_ == InputKind::kZeek) {
    auto vals = SplitOn(line, sep_);
    if (fields_.empty() || vals.size() != fields_.size()) {
      ++bad_;
      return;
    }
    for (std::size_t i = 0; i < vals.size(); ++i) {
      std::string_view v = vals[i];
      if (v == unset_) continue;
      if (v == empty_) v = {};
      b.Add(fields_[i], v);
      if (fields_[i] == "ts") time = EpochIso(std::strtod(std::string(v).c_str(), nullptr));
    }
  } else if (kind_ == InputKind::kSquid) {
    auto t = SplitWs(line);
    if (t.size() < 7 || !SquidLine(line)) {
      ++bad_;
      return;
    }
    time = EpochIso(std::strtod(std::string(t[0]).c_str(), nullptr));
    b.Add("c-ip", t[2]);
    std::size_t slash = t[3].find('/');
    b.Add("s-action", t[3].substr(0, slash));
    b.Add("sc-status", t[3].substr(slash + 1));
    b.Add("sc-bytes", t[4]);
    b.Add("cs-method", t[5]);
    b.Add("c-uri", t[6]);
    UrlParts(b, t[6], true);
    if (t.size() > 7 && t[7] != "-") b.Add("cs-username", t[7]);
    if (t.size() > 8) {
      std::size_t s2 = t[8].find('/');
      if (s2 != std::string_view::npos && t[8].substr(s2 + 1) != "-") b.Add("r-dns", t[8].substr(s2 + 1));
    }
    if (t.size() > 9 && t[9] != "-") b.Add("cs-mime-type", t[9]);
  } else {
    return;
  }
  b.Add("\x01time", time);
  Event& e = b.Finish();
  e.time = e.fields.back().second;
  e.fields.pop_back();
  e.record = line_no;
  e.raw = line;
  if (kind_ == InputKind::kZeek) {
    e.product = "zeek";
    e.service = path_;
  } else if (kind_ == InputKind::kSquid) {
    e.category = "proxy";
  } else {
    e.category = "webserver";
  }
  fn(e);
  if (kind_ == InputKind::kW3c && proxy_) {
    e.category = "proxy";
    fn(e);
  }
}

// ---- live processes ----

Event& FromProcess(const ProcessInfo& p, EventBuilder& b) {
  b.Reset();
  b.AddView("Image", p.image);
  b.AddView("CommandLine", p.command_line);
  if (!p.parent_image.empty()) b.AddView("ParentImage", p.parent_image);
  if (!p.parent_command_line.empty()) b.AddView("ParentCommandLine", p.parent_command_line);
  if (!p.user.empty()) b.AddView("User", p.user);
  if (!p.current_directory.empty()) b.AddView("CurrentDirectory", p.current_directory);
  b.Add("ProcessId", std::to_string(p.pid));
  b.Add("ParentProcessId", std::to_string(p.ppid));
  Event& e = b.Finish();
  e.record = static_cast<std::uint64_t>(p.pid);
  e.product = "linux";
  e.category = "process_creation";
  return e;
}

}  // namespace trawl::sigma
