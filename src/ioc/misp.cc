// MISP events: attributes and objects (see trawl/ioc/interchange.h for the
// types read and how scores and descriptions are made).
#include <string>
#include <vector>

#include "interchange_internal.h"
#include "internal.h"
#include "trawl/core/text.h"
#include "trawl/ioc/interchange.h"

namespace trawl::ioc::internal {
namespace {

constexpr int kToIdsScore = 100;
constexpr int kContextScore = 50;
constexpr size_t kMaxTags = 8;

struct EventContext {
  std::string info;
  std::vector<std::string> tags;  // event tags, ATT&CK technique tags left out
  bool export_mode = false;       // tagged trawl:export: comments are whole descriptions
};

bool TruthyFlag(const Json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return v.get<std::int64_t>() != 0;
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    return s == "1" || s == "true" || s == "True";
  }
  return false;
}

bool Flag(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && TruthyFlag(*it);
}

// Tag names of an object's "Tag" list.
std::vector<std::string> TagNames(const Json& obj) {
  std::vector<std::string> out;
  auto it = obj.find("Tag");
  if (it == obj.end() || !it->is_array()) return out;
  for (const Json& t : *it) {
    std::string_view name =
        t.is_string() ? std::string_view(t.get_ref<const std::string&>()) : StringOf(t, "name");
    if (!name.empty()) out.emplace_back(name);
  }
  return out;
}

// trawl:score="N" (quotes optional) -> N.
bool ScoreTag(const std::vector<std::string>& tags, int& score, bool& bad) {
  for (const std::string& t : tags) {
    if (t.rfind("trawl:score=", 0) != 0) continue;
    std::string v = t.substr(12);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    if (!ParseScore(v, score)) {
      bad = true;
      return false;
    }
    return true;
  }
  return false;
}

std::string JoinTags(const std::vector<std::string>& tags) {
  std::string out;
  size_t n = 0;
  for (const std::string& t : tags) {
    if (t.rfind("trawl:", 0) == 0) continue;
    if (n == kMaxTags) {
      out += ", ...";
      break;
    }
    out += (n++ ? ", " : "") + t;
  }
  return out;
}

std::string Describe(const EventContext& ev, std::string_view comment, std::string_view file_name,
                     const std::vector<std::string>& attr_tags) {
  if (ev.export_mode) return CleanDescription(comment);
  std::vector<std::string> parts;
  std::string head;
  if (!file_name.empty()) head = "file " + std::string(file_name);
  if (!comment.empty()) head += (head.empty() ? "" : ": ") + std::string(comment);
  if (!head.empty()) parts.push_back(head);
  if (!ev.info.empty()) parts.push_back("MISP event: " + ev.info);
  std::vector<std::string> tags = attr_tags;
  tags.insert(tags.end(), ev.tags.begin(), ev.tags.end());
  std::string t = JoinTags(tags);
  if (!t.empty()) parts.push_back("tags: " + t);
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : " | ") + p;
  return CleanDescription(out);
}

struct TypeRule {
  std::string_view type;
  std::string_view family;  // MakeValue family, "filename", "yara"
  int part;                 // for composites: which '|' part holds the value (0 or 1); -1: whole
  bool name_first;          // filename|hash: the name is part 0
};

constexpr TypeRule kTypes[] = {
    {"md5", "md5", -1, false},           {"sha1", "sha1", -1, false},
    {"sha256", "sha256", -1, false},     {"filename|md5", "md5", 1, true},
    {"filename|sha1", "sha1", 1, true},  {"filename|sha256", "sha256", 1, true},
    {"filename", "filename", -1, false}, {"domain", "domain", -1, false},
    {"hostname", "domain", -1, false},   {"hostname|port", "domain", 0, false},
    {"ip-dst", "ip", -1, false},         {"ip-src", "ip", -1, false},
    {"ip-dst|port", "ip", 0, false},     {"ip-src|port", "ip", 0, false},
    {"url", "url", -1, false},           {"yara", "yara", -1, false},
};

// Loads one attribute. `where` names it ("EVENT/ATTRIBUTE-UUID").
void LoadAttribute(const Json& a, const std::string& where, const EventContext& ev,
                   std::string_view object_comment, std::string_view object_file_name,
                   const LoadOptions& options, JsonSink& sink) {
  if (!a.is_object()) {
    sink.Reject(where, "attribute is not a JSON object");
    return;
  }
  if (Flag(a, "deleted")) {
    sink.Count("deleted");
    return;
  }
  std::string_view type = StringOf(a, "type");
  auto value_it = a.find("value");
  if (type.empty() || value_it == a.end() || !value_it->is_string()) {
    sink.Reject(where, "attribute without a type or a string value");
    return;
  }
  const std::string& value = value_it->get_ref<const std::string&>();
  bool to_ids = Flag(a, "to_ids");
  if (!to_ids && !options.all_attributes) {
    sink.Count("not to_ids");
    return;
  }
  const TypeRule* rule = nullptr;
  bool domain_ip = type == "domain|ip";
  for (const TypeRule& r : kTypes)
    if (r.type == type) rule = &r;
  if (!rule && !domain_ip) {
    if (to_ids)
      sink.Reject(where, "unsupported type", std::string(type) + ": " + value);
    else
      sink.Count("unsupported type");
    return;
  }
  std::vector<std::string> attr_tags = TagNames(a);
  Indicator base;
  base.score = to_ids ? kToIdsScore : kContextScore;
  bool bad_score = false;
  ScoreTag(attr_tags, base.score, bad_score);
  if (bad_score) {
    sink.Reject(where, "bad trawl:score tag");
    return;
  }
  std::string_view comment = StringOf(a, "comment");
  if (comment.empty()) comment = object_comment;

  if (domain_ip) {
    size_t bar = value.find('|');
    if (bar == std::string::npos) {
      sink.Reject(where, "domain|ip without '|'", value);
      return;
    }
    Indicator d = base, ip = base;
    std::string w1 = MakeValue("domain", value.substr(0, bar), d);
    std::string w2 = MakeValue("ip", value.substr(bar + 1), ip);
    if (!w1.empty() || !w2.empty()) {
      sink.Reject(where, "domain|ip: " + (w1.empty() ? w2 : w1), value);
      return;
    }
    d.description = ip.description = Describe(ev, comment, {}, attr_tags);
    sink.Add(std::move(d), where);
    sink.Add(std::move(ip), where);
    return;
  }

  std::string_view v = value;
  std::string_view file_name = object_file_name;
  if (rule->part >= 0) {
    size_t bar = v.find('|');
    if (bar == std::string_view::npos) {
      sink.Reject(where, std::string(type) + " without '|'", value);
      return;
    }
    std::string_view first = v.substr(0, bar), second = v.substr(bar + 1);
    if (rule->name_first) file_name = first;
    v = rule->part == 0 ? first : second;
  }
  Indicator ind = base;
  std::string why;
  if (rule->family == "yara") {
    if (v.empty() || v.size() > kMaxRuleBytes) {
      why = v.empty() ? "empty YARA rule" : "YARA rule too long";
    } else if (std::string_view bad = BadText(v); bad == "NUL byte" || bad == "invalid UTF-8") {
      why = std::string(bad) + " in a YARA rule";
    } else {
      ind.kind = Kind::kYara;
      ind.value = std::string(v);
    }
  } else if (rule->family == "filename") {
    why = MakeNameIndicator(v, ind);
    file_name = {};
  } else {
    why = MakeValue(rule->family, v, ind);
    if (rule->family == "url" && !why.empty() && v.find("://") == std::string_view::npos)
      why = "url without a scheme";
  }
  if (!why.empty()) {
    sink.Reject(where, std::string(type) + ": " + why, value);
    return;
  }
  ind.description =
      Describe(ev, comment, IsHashKind(ind.kind) ? file_name : std::string_view(), attr_tags);
  sink.Add(std::move(ind), where);
}

std::string IdOf(const Json& obj, const std::string& fallback) {
  std::string_view uuid = StringOf(obj, "uuid");
  if (!uuid.empty()) return std::string(uuid);
  if (auto id = obj.find("id"); id != obj.end()) {
    if (id->is_string()) return id->get<std::string>();
    if (id->is_number_integer()) return std::to_string(id->get<std::int64_t>());
  }
  return fallback;
}

void LoadEvent(const Json& ev_json, const std::string& ev_where, const LoadOptions& options,
               JsonSink& sink) {
  if (!ev_json.is_object()) {
    sink.Reject(ev_where, "event is not a JSON object");
    return;
  }
  EventContext ev;
  ev.info = std::string(StringOf(ev_json, "info"));
  for (std::string& t : TagNames(ev_json)) {
    if (t == "trawl:export") ev.export_mode = true;
    if (t.rfind("misp-galaxy:mitre-", 0) == 0) continue;  // techniques describe the campaign
    ev.tags.push_back(std::move(t));
  }
  std::string ev_id = IdOf(ev_json, ev_where);
  bool any = false;
  if (auto attrs = ev_json.find("Attribute"); attrs != ev_json.end()) {
    any = true;
    if (!attrs->is_array()) {
      sink.Reject(ev_id, "Attribute is not a list");
    } else {
      size_t i = 0;
      for (const Json& a : *attrs) {
        std::string where = ev_id + "/" + IdOf(a, "Attribute[" + std::to_string(i) + "]");
        LoadAttribute(a, where, ev, {}, {}, options, sink);
        ++i;
      }
    }
  }
  if (auto objs = ev_json.find("Object"); objs != ev_json.end()) {
    any = true;
    if (!objs->is_array()) {
      sink.Reject(ev_id, "Object is not a list");
    } else {
      size_t oi = 0;
      for (const Json& o : *objs) {
        std::string o_id = ev_id + "/" + IdOf(o, "Object[" + std::to_string(oi++) + "]");
        if (!o.is_object()) {
          sink.Reject(o_id, "object is not a JSON object");
          continue;
        }
        if (Flag(o, "deleted")) {
          sink.Count("deleted");
          continue;
        }
        auto attrs = o.find("Attribute");
        if (attrs == o.end() || !attrs->is_array()) {
          sink.Reject(o_id, "object without an Attribute list");
          continue;
        }
        // A file object's name describes its hashes.
        std::string file_name;
        if (StringOf(o, "name") == "file")
          for (const Json& a : *attrs)
            if (StringOf(a, "object_relation") == "filename" && StringOf(a, "type") == "filename")
              file_name = std::string(StringOf(a, "value"));
        std::string_view comment = StringOf(o, "comment");
        if (comment.empty()) comment = StringOf(o, "description");
        size_t i = 0;
        for (const Json& a : *attrs) {
          std::string where = o_id + "/" + IdOf(a, "Attribute[" + std::to_string(i) + "]");
          LoadAttribute(a, where, ev, comment, file_name, options, sink);
          ++i;
        }
      }
    }
  }
  if (!any) sink.Count("events without attributes");
}

}  // namespace

void LoadMispDoc(const Json& doc, const LoadOptions& options, JsonSink& sink) {
  auto one = [&](const Json& item, const std::string& where) {
    if (!item.is_object()) {
      sink.Reject(where, "not a JSON object");
      return;
    }
    if (auto e = item.find("Event"); e != item.end()) {
      LoadEvent(*e, where, options, sink);
      return;
    }
    if (item.contains("info") || item.contains("Object") ||
        (item.contains("Attribute") && item.contains("uuid"))) {
      LoadEvent(item, where, options, sink);
      return;
    }
    if (auto attrs = item.find("Attribute"); attrs != item.end()) {
      // Attribute search results: no event around them.
      if (!attrs->is_array()) {
        sink.Reject(where, "Attribute is not a list");
        return;
      }
      EventContext none;
      size_t i = 0;
      for (const Json& a : *attrs) {
        std::string id = IdOf(a, "Attribute[" + std::to_string(i++) + "]");
        LoadAttribute(a, id, none, {}, {}, options, sink);
      }
      return;
    }
    sink.Reject(where, "not a MISP event (no Event, Attribute or info)");
  };
  auto list = [&](const Json& arr, const std::string& prefix) {
    size_t i = 0;
    for (const Json& item : arr) one(item, prefix + "[" + std::to_string(i++) + "]");
  };
  if (doc.is_array()) {
    list(doc, "events");
  } else if (doc.is_object() && doc.contains("response")) {
    const Json& r = doc["response"];
    if (r.is_array())
      list(r, "response");
    else
      one(r, "response");
  } else {
    one(doc, "event");
  }
}

}  // namespace trawl::ioc::internal
