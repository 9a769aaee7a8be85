#include "trawl/sweep/sweep.h"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace trawl::sweep {

bool Settings::Runs(std::string_view module) const {
  return modules.empty() || std::find(modules.begin(), modules.end(), module) != modules.end();
}

const std::vector<std::string>& Settings::Option(std::string_view name) const {
  static const std::vector<std::string> kNone;
  auto it = options.find(name);
  return it == options.end() ? kNone : it->second;
}

std::vector<std::string> Registry::ModuleNames() const {
  std::vector<std::string> out;
  for (const Registration& r : regs_)
    for (const ModuleInfo& m : r.modules) out.emplace_back(m.name);
  return out;
}

bool Registry::Knows(std::string_view module) const {
  for (const Registration& r : regs_)
    for (const ModuleInfo& m : r.modules)
      if (m.name == module) return true;
  return false;
}

std::string Registry::ModuleList() const {
  std::string s;
  for (const std::string& m : ModuleNames()) s += (s.empty() ? "" : ",") + m;
  return s;
}

}  // namespace trawl::sweep

#include "trawl/sweep/timeline.h"

namespace trawl::sweep {

void ContactTimeline::Add(const std::map<const ioc::Indicator*, Context::Contact>& contacts) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [ind, t] : contacts) {
    Entry& e = entries_[ind];
    e.indicator = ind;
    e.hits += t.hits;
    e.files += 1;
    if (t.first_ms && (!e.first_ms || *t.first_ms < *e.first_ms)) e.first_ms = t.first_ms;
    if (t.last_ms && (!e.last_ms || *t.last_ms > *e.last_ms)) e.last_ms = t.last_ms;
  }
}

std::vector<ContactTimeline::Entry> ContactTimeline::Entries(
    std::string_view (*value_of)(const ioc::Indicator*)) const {
  std::vector<Entry> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [ind, e] : entries_) out.push_back(e);
  }
  std::sort(out.begin(), out.end(), [&](const Entry& a, const Entry& b) {
    if (a.first_ms.has_value() != b.first_ms.has_value()) return a.first_ms.has_value();
    if (a.first_ms && *a.first_ms != *b.first_ms) return *a.first_ms < *b.first_ms;
    return value_of(a.indicator) < value_of(b.indicator);
  });
  return out;
}

Result<read::File> OpenEntry(const Item& item) {
  if (item.dir_fd >= 0 && !item.name.empty())
    return read::File::OpenWalkedAt(item.dir_fd, std::string(item.name), item.read_path, item.st);
  return read::File::OpenWalked(item.read_path, item.st);
}

Result<std::string_view> Head(const Item& item) {
  thread_local HeadCache uncached;
  HeadCache* c = item.head;
  if (c == nullptr) {
    c = &uncached;
    c->Reset();
  }
  if (c->state_ == HeadCache::State::kUnread) {
    c->state_ = HeadCache::State::kFailed;
    auto file = OpenEntry(item);
    if (!file.ok()) {
      c->error_ = file.status();
    } else {
      c->bytes_.resize(HeadCache::kBytes);
      ssize_t n;
      do {
        n = ::pread(file->fd(), c->bytes_.data(), c->bytes_.size(), 0);
      } while (n < 0 && errno == EINTR);
      if (n < 0) {
        c->error_ = Status::Error(item.walked + ": read error: " + std::strerror(errno));
      } else {
        c->bytes_.resize(static_cast<std::size_t>(n));
        c->state_ = HeadCache::State::kRead;
      }
    }
  }
  if (c->state_ == HeadCache::State::kFailed) return c->error_;
  return std::string_view(c->bytes_);
}

}  // namespace trawl::sweep
