// YAML helpers shared by the rule, correlation and mapping readers.
#pragma once

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace trawl::sigma::detail {

// The node's scalar text; "" for a missing node, a list or a map.
inline std::string Scalar(const YAML::Node& n) { return n && n.IsScalar() ? n.Scalar() : ""; }

// yaml-cpp 0.7 (Debian 12) can loop forever on some malformed input, making
// events (and nodes) without consuming text (found by fuzz/sigma_rule_fuzz;
// the reproducer is in fuzz/corpus/sigma_rule). Before a text is loaded, its
// events are counted: a real YAML text makes a few per byte at most, so more
// than 8 per byte (plus a margin) means the parser is stuck, and the text is
// refused with an exception (what the loaders already report per file).
class BoundedEvents final : public YAML::EventHandler {
 public:
  explicit BoundedEvents(std::size_t max) : max_(max) {}
  void OnDocumentStart(const YAML::Mark&) override { Tick(); }
  void OnDocumentEnd() override { Tick(); }
  void OnNull(const YAML::Mark&, YAML::anchor_t) override { Tick(); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { Tick(); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Tick();
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Tick();
  }
  void OnSequenceEnd() override { Tick(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Tick();
  }
  void OnMapEnd() override { Tick(); }

 private:
  void Tick() {
    if (++n_ > max_) throw std::runtime_error("the YAML parser made no progress on this text");
  }
  std::size_t max_, n_ = 0;
};

// YAML::LoadAll, refusing (throwing) a text the parser would never finish.
inline std::vector<YAML::Node> LoadAllBounded(std::string_view text) {
  {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    BoundedEvents count(8 * text.size() + 1024);
    while (parser.HandleNextDocument(count)) {
    }
  }
  return YAML::LoadAll(std::string(text));
}

// YAML::Load, bounded the same way.
inline YAML::Node LoadBounded(std::string_view text) {
  std::vector<YAML::Node> docs = LoadAllBounded(text);
  return docs.empty() ? YAML::Node() : docs.front();
}

}  // namespace trawl::sigma::detail
