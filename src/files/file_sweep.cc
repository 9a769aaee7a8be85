#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <mutex>

#include "trawl/content/content.h"
#include "trawl/core/names.h"
#include "trawl/files/files.h"
#include "trawl/ioc/indicator.h"
#include "trawl/live/image.h"
#include "trawl/match/filename.h"
#include "trawl/read/read.h"
#include "trawl/read/unpack.h"
#include "trawl/yara/yara.h"

namespace trawl::files {
namespace {

struct FileWorker final : sweep::Worker {
  explicit FileWorker(const content::Engine& e) : checker(e) {}
  content::Checker checker;
  std::unique_ptr<match::FilenameMatcher::Scratch> scratch;
  std::unique_ptr<live::WindowsNames::Scratch> win_scratch;
  std::vector<const ioc::Indicator*> hits;
  std::uint64_t engine_errors_seen = 0;
  bool digests_reused = false;  // the current entry's digests came from --since
};

// Counters of the archive walk, for the summary.
struct ArchiveCounters {
  std::atomic<std::uint64_t> archives{0};    // files on disk opened as containers
  std::atomic<std::uint64_t> containers{0};  // containers opened, nested ones too
  std::atomic<std::uint64_t> members{0};     // members checked
  std::atomic<std::uint64_t> bytes{0};       // unpacked bytes read
  std::atomic<std::uint64_t> members_reused{0};  // of members: rows taken from --since
};

class FileSweep final : public sweep::Sweep {
 public:
  FileSweep(const sweep::Engine& e, const sweep::Settings& s)
      : engine_(e),
        settings_(s),
        content_{e.set, e.rules, e.hash_algos, s.yara_timeout, s.file_timeout},
        limits_key_(MakeLimitsKey()) {}

  bool walks() const override { return true; }
  std::unique_ptr<sweep::Worker> MakeWorker() const override {
    auto w = std::make_unique<FileWorker>(content_);
    {
      std::lock_guard<std::mutex> lock(workers_mu_);
      workers_.push_back(w.get());  // for the YARA counts (workers outlive Summarize)
    }
    if (engine_.filenames) w->scratch = engine_.filenames->MakeScratch();
    if (engine_.win_names) w->win_scratch = engine_.win_names->MakeScratch();
    return w;
  }
  bool Claims(const sweep::Item&) const override { return true; }  // every name is checked

  sweep::Verdict Scan(const sweep::Item& item, sweep::Worker* worker,
                      sweep::Context& ctx) override {
    auto& w = static_cast<FileWorker&>(*worker);
    Finding f;
    f.module = std::string(sweep::module::kFile);
    f.path = item.shown;
    CheckName(item.walked, item.shown, item.windows, w, ctx, f);
    // One open serves the content check and the look inside.
    std::optional<read::File> file;
    auto open = [&]() -> const read::File* {
      if (!file) {
        // A followed link is read through its resolved target (File::Open
        // never follows links itself); findings still name the path as
        // walked. The file read must be the file walked (same device and inode).
        auto opened = sweep::OpenEntry(item);
        if (!opened.ok()) {
          ctx.Error(item.walked, opened.status().message(), sweep::module::kFile);
          return nullptr;
        }
        file.emplace(std::move(*opened));
      }
      return &*file;
    };
    bool open_failed = false;
    w.digests_reused = false;
    if (item.regular && static_cast<std::uint64_t>(item.st.st_size) > settings_.max_file_size) {
      ctx.Skip("too_large");
      f.size = item.st.st_size;
    } else if (item.regular && !CheckContent(item, w, ctx, f, open, open_failed)) {
      ctx.Skip("trusted");
      return sweep::Verdict::kTrusted;  // no file finding, and no later sweep of a known-good file
    }
    if (!f.reasons.empty()) ctx.Emit(f);
    // Inside: archives, installers, compressed files (by magic), each member
    // through the same checks. Only when a check could see anything.
    if (settings_.archives && item.regular && !open_failed && item.st.st_size >= 4 &&
        (engine_.filenames || w.checker.wants_bytes())) {
      // --since: an unchanged file's member rows are taken from OLD.db
      // instead of unpacking it again, when no member content is needed
      // beyond its digests (no YARA rules); names and hashes are matched
      // against them as against a read member.
      if (w.digests_reused && !engine_.rules && ReuseMembers(item, w, ctx)) {
      } else if (const read::File* fp = open()) {
        ScanMembers(item, *fp, w, ctx);
      }
    }
    return sweep::Verdict::kContinue;
  }

 private:
  // Every member of a container file, as a walked file is checked: the name
  // (`ARCHIVE!member/path`), then hashes and YARA over its bytes.
  class MemberChecker final : public read::MemberVisitor {
   public:
    MemberChecker(FileSweep& sweep, const sweep::Item& item, FileWorker& w, sweep::Context& ctx,
                  std::string_view outer)
        : sweep_(sweep), item_(item), w_(w), ctx_(ctx), outer_(outer) {}

    void OnMember(const read::Member& m) override {
      sweep_.counters_.members++;
      rows_++;
      // A name with '!' could not be told from the chain again (ReuseMembers).
      if (m.state != read::Member::State::kRead || !w_.checker.wants_bytes() ||
          m.name.find('!') != std::string::npos)
        complete_ = false;
      // "/share/setup.zip" + "!3CX.msi!ffmpeg.dll": what filename indicators see.
      std::string shown = item_.shown + m.chain.substr(std::min(outer_.size(), m.chain.size()));
      Finding f;
      f.module = std::string(sweep::module::kFile);
      f.path = item_.shown;
      f.size = m.size;
      sweep_.CheckName(item_.walked, shown, item_.windows, w_, ctx_, f);
      bool recorded = false;
      switch (m.state) {
        case read::Member::State::kTooLarge:
          ctx_.Skip("too_large");
          break;
        case read::Member::State::kEncrypted:
          ctx_.Skip("archive_encrypted");
          ctx_.Error(item_.walked, m.chain + ": encrypted member, content not checked",
                     sweep::module::kFile);
          f.extra.push_back({"encrypted", true});
          break;
        case read::Member::State::kRead:
          sweep_.counters_.bytes += m.bytes.size();
          if (w_.checker.wants_bytes()) {
            content::Outcome out =
                w_.checker.CheckBytes(m.bytes, {shown, static_cast<uid_t>(item_.st.st_uid),
                                                std::string(content::BaseName(m.name))});
            f.size = out.bytes;
            f.hashes = std::move(out.hashes);
            ctx_.RecordMember(item_, m.chain, f.size, f.hashes, false);
            recorded = true;
            if (out.trusted) {
              ctx_.Skip("trusted");
              return;
            }
            for (Reason& r : out.reasons) f.reasons.push_back(std::move(r));
            for (const std::string& t : out.yara_timeouts)
              ctx_.Error(item_.walked, m.chain + ": " + t, sweep::module::kFile);
            if (out.yara_error)
              ctx_.Error(item_.walked, m.chain + ": " + *out.yara_error, sweep::module::kFile);
          }
          break;
      }
      // --inventory: every member is a row (without digests when not read).
      if (!recorded) ctx_.RecordMember(item_, m.chain, m.size, {}, false);
      if (f.reasons.empty()) return;
      f.extra.insert(f.extra.begin(), {"member", m.chain});
      ctx_.Emit(f);
    }
    void OnError(const std::string& chain, const std::string& message) override {
      complete_ = false;
      ctx_.Skip("archive_error");
      ctx_.Error(item_.walked, chain + ": " + message, sweep::module::kFile);
    }
    void OnLimit(const std::string& chain, read::Limit limit, const std::string& message) override {
      complete_ = false;
      ctx_.Skip(read::LimitName(limit));
      ctx_.Error(item_.walked, chain + ": " + message, sweep::module::kFile);
    }

    // Every member was read and hashed, with no error or limit: the rows
    // stand for the whole content (RecordUnpacked).
    bool complete() const { return complete_; }
    std::uint64_t rows() const { return rows_; }

   private:
    bool complete_ = true;
    std::uint64_t rows_ = 0;
    FileSweep& sweep_;
    const sweep::Item& item_;
    FileWorker& w_;
    sweep::Context& ctx_;
    std::string_view outer_;
  };

  read::UnpackLimits Limits() const {
    read::UnpackLimits limits = settings_.unpack;
    limits.max_member_bytes = settings_.max_file_size;
    return limits;
  }
  // What the member rows of a complete look inside depend on besides the
  // file itself: the unpack limits, and the version of the rows' rules
  // (bump kMemberRows when the unpacker yields other members or chains).
  const std::string& LimitsKey() const { return limits_key_; }
  std::string MakeLimitsKey() const {
    static constexpr int kMemberRows = 1;
    read::UnpackLimits l = Limits();
    return fmt::format("rows={} bytes={} ratio={} floor={} members={} member_bytes={} time_ms={} "
                       "decoder={} depth={}",
                       kMemberRows, l.max_bytes, l.max_ratio, l.ratio_floor, l.max_members,
                       l.max_member_bytes, l.max_time.count(), l.max_decoder_memory, l.max_depth);
  }

  void ScanMembers(const sweep::Item& item, const read::File& file, FileWorker& w,
                   sweep::Context& ctx) {
    if (read::SniffFile(file) == read::Container::kNone) {
      if (w.checker.wants_bytes()) ctx.RecordUnpacked(0, LimitsKey());
      return;
    }
    std::string outer(content::BaseName(item.walked));
    MemberChecker checker(*this, item, w, ctx, outer);
    read::UnpackStats st = read::Unpack(file, outer, Limits(), checker);
    if (checker.complete() && w.checker.wants_bytes()) ctx.RecordUnpacked(checker.rows(), LimitsKey());
    if (st.containers == 0) return;
    counters_.archives++;
    counters_.containers += st.containers;
  }

  // --since: the member rows of an unchanged file from OLD.db, each checked
  // as OnMember checks a read member (name, then the hash rule). False when
  // OLD.db has none to offer (then the file is unpacked).
  bool ReuseMembers(const sweep::Item& item, FileWorker& w, sweep::Context& ctx) {
    const std::string& key = LimitsKey();
    auto prior = ctx.PriorMembers(item, key);
    if (!prior) return false;
    std::string outer(content::BaseName(item.walked));
    if (!prior->empty()) counters_.archives++;
    for (sweep::Context::PriorMember& m : *prior) {
      counters_.members++;
      counters_.members_reused++;
      std::string shown = item.shown + m.chain.substr(std::min(outer.size(), m.chain.size()));
      Finding f;
      f.module = std::string(sweep::module::kFile);
      f.path = item.shown;
      f.size = m.size;
      CheckName(item.walked, shown, item.windows, w, ctx, f);
      f.hashes = std::move(m.hashes);
      ctx.RecordMember(item, m.chain, m.size, f.hashes, true);
      // The member's own name (after the chain's last '!': RecordUnpacked
      // is never called for a name holding one), as CheckBytes names it.
      std::string_view name = std::string_view(m.chain).substr(m.chain.rfind('!') + 1);
      std::vector<Reason> reasons;
      if (engine_.set && !content::HashReasons(*engine_.set, f.hashes, name, reasons)) {
        ctx.Skip("trusted");
        continue;
      }
      for (Reason& r : reasons) f.reasons.push_back(std::move(r));
      if (f.reasons.empty()) continue;
      f.extra.insert(f.extra.begin(), {"member", m.chain});
      ctx.Emit(f);
    }
    ctx.RecordUnpacked(prior->size(), key);
    return true;
  }

  // Filename indicators on `shown` (and, on a --map volume, the Windows ones).
  void CheckName(const std::string& walked, const std::string& shown, bool windows, FileWorker& w,
                 sweep::Context& ctx, Finding& f) {
    if (engine_.filenames) CheckUnixName(walked, shown, w, ctx, f);
    if (windows && engine_.win_names) CheckWindowsName(shown, w, f);
  }
  void CheckUnixName(const std::string& walked, const std::string& shown, FileWorker& w,
                     sweep::Context& ctx, Finding& f) {
    w.hits.clear();
    engine_.filenames->Match(shown, *w.scratch, w.hits);
    for (const ioc::Indicator* ind : w.hits)
      f.reasons.push_back(
          {std::string(reason::kFilename), ind->value, ind->description, ind->source, ind->score});
    // A pattern the engine could not finish (PCRE2 match limit) is not a
    // silent non-match: the responder learns this name was not fully checked.
    if (w.scratch->engine_errors() != w.engine_errors_seen) {
      w.engine_errors_seen = w.scratch->engine_errors();
      ctx.Error(walked, "filename indicators: a pattern hit the regex engine's match limit",
                sweep::module::kFile);
    }
  }

  void CheckWindowsName(const std::string& shown, FileWorker& w, Finding& f) {
    w.hits.clear();
    engine_.win_names->Match(shown, *w.win_scratch, w.hits);
    for (const ioc::Indicator* ind : w.hits) {
      bool have = false;
      for (const Reason& r : f.reasons)
        have |= r.kind == reason::kFilename && r.indicator == ind->value;
      if (!have)
        f.reasons.push_back({std::string(reason::kFilename), ind->value, ind->description,
                             ind->source, ind->score});
    }
  }

  // Returns false when the file is trusted; a read error is reported and the
  // name reasons still stand.
  template <typename Open>
  bool CheckContent(const sweep::Item& item, FileWorker& w, sweep::Context& ctx, Finding& f,
                    Open& open, bool& open_failed) {
    if (!w.checker.wants_bytes()) {
      f.size = item.st.st_size;
      return true;
    }
    // --since: digests of an unchanged file (same device, inode, size, mtime,
    // ctime) are taken from the previous inventory, without reading it; only
    // when no YARA rule needs the bytes. The hash rule is content's.
    if (!engine_.rules) {
      if (auto prior = ctx.PriorDigests(item)) {
        f.size = item.st.st_size;
        f.hashes = std::move(*prior);
        ctx.RecordDigests(f.hashes, true);
        w.digests_reused = true;
        std::vector<Reason> reasons;
        if (engine_.set && !content::HashReasons(*engine_.set, f.hashes, item.walked, reasons))
          return false;
        for (Reason& r : reasons) f.reasons.push_back(std::move(r));
        return true;
      }
    }
    const read::File* file = open();
    if (!file) {
      open_failed = true;
      return true;
    }
    auto out = w.checker.CheckFile(*file, settings_.max_file_size,
                                   {item.walked, static_cast<uid_t>(item.st.st_uid)});
    if (!out.ok()) {
      ctx.Error(item.walked, out.status().message(), sweep::module::kFile);
      return true;
    }
    ctx.AddBytes(out->bytes);
    if (out->timed_out || out->stopped) {
      // Name reasons still stand; the content was not checked, and says so.
      f.size = item.st.st_size;
      f.extra.push_back({"content_checked", false});
      if (out->timed_out) {
        ctx.Skip("file_timeout");
        ctx.Error(item.walked,
                  fmt::format("content not checked: reading stopped at --file-timeout ({} s) "
                              "after {} of {} bytes",
                              settings_.file_timeout, out->bytes, item.st.st_size),
                  sweep::module::kFile);
      } else {
        ctx.Skip("interrupted");
      }
      return true;
    }
    ctx.RecordDigests(out->hashes, false);
    f.size = out->bytes;
    if (out->changed) f.extra.push_back({"changed_while_read", true});
    f.hashes = std::move(out->hashes);
    if (out->trusted) return false;
    for (Reason& r : out->reasons) f.reasons.push_back(std::move(r));
    for (const std::string& t : out->yara_timeouts) ctx.Error(item.walked, t, sweep::module::kFile);
    if (out->yara_error) ctx.Error(item.walked, *out->yara_error, sweep::module::kFile);
    return true;
  }

  // How YARA ran: files per route class (routing) or all exact, timeouts.
  void Summarize(Summary& s) const override {
    if (settings_.archives) SummarizeArchives(s);
    if (!engine_.rules) return;
    yara::ScanCounters y;
    {
      std::lock_guard<std::mutex> lock(workers_mu_);
      for (const FileWorker* w : workers_) {
        const yara::ScanCounters* c = w->checker.yara_counters();
        if (!c) continue;
        for (int i = 0; i < yara::kRouteClasses; ++i) y.files_by_class[i] += c->files_by_class[i];
        y.exact += c->exact;
        y.timeouts += c->timeouts;
        y.split_rescans += c->split_rescans;
        y.prefilter_settled += c->prefilter_settled;
      }
    }
    const yara::Rules& rules = *engine_.rules;
    s.extra.push_back({"yara_routing", std::string(rules.routing() ? "by class" : "exact")});
    if (rules.routing()) {
      for (int i = 0; i < yara::kRouteClasses; ++i) {
        if (y.files_by_class[i] == 0) continue;
        s.extra.push_back({fmt::format("yara_class_{}_files", yara::RouteClassName(i)),
                           static_cast<std::int64_t>(y.files_by_class[i])});
        s.extra.push_back({fmt::format("yara_class_{}_rules", yara::RouteClassName(i)),
                           static_cast<std::int64_t>(rules.RulesInClass(i))});
        if (rules.prefilter())
          s.extra.push_back({fmt::format("yara_class_{}_prefilter_rules", yara::RouteClassName(i)),
                             static_cast<std::int64_t>(rules.PrefilterRulesInClass(i))});
      }
      s.extra.push_back({"yara_prefilter", std::string(rules.prefilter() ? "on"
                                                       : rules.prefilter_error().empty()
                                                           ? "off"
                                                           : "off: " + rules.prefilter_error())});
      s.extra.push_back(
          {"yara_prefilter_skippable_rules", static_cast<std::int64_t>(rules.skippable_rules())});
      s.extra.push_back({"yara_prefilter_settled", static_cast<std::int64_t>(y.prefilter_settled)});
    } else {
      s.extra.push_back({"yara_exact_files", static_cast<std::int64_t>(y.exact)});
    }
    s.extra.push_back({"yara_timeouts", static_cast<std::int64_t>(y.timeouts)});
    s.extra.push_back({"yara_split_rescans", static_cast<std::int64_t>(y.split_rescans)});
  }

  void SummarizeArchives(Summary& s) const {
    auto i64 = [](const std::atomic<std::uint64_t>& v) {
      return static_cast<std::int64_t>(v.load());
    };
    s.extra.push_back({"archives", i64(counters_.archives)});
    s.extra.push_back({"archive_containers", i64(counters_.containers)});
    s.extra.push_back({"archive_members", i64(counters_.members)});
    s.extra.push_back({"archive_bytes", i64(counters_.bytes)});
    s.extra.push_back({"archive_members_reused", i64(counters_.members_reused)});
  }

  const sweep::Engine& engine_;
  const sweep::Settings& settings_;
  content::Engine content_;
  mutable std::mutex workers_mu_;
  mutable std::vector<const FileWorker*> workers_;
  ArchiveCounters counters_;
  const std::string limits_key_;  // MakeLimitsKey, once
};

Result<std::unique_ptr<sweep::Sweep>> Make(const sweep::Engine& e, const sweep::Settings& s,
                                           std::vector<std::string>&) {
  if (!s.Runs(sweep::module::kFile)) return std::unique_ptr<sweep::Sweep>();
  return std::unique_ptr<sweep::Sweep>(std::make_unique<FileSweep>(e, s));
}

}  // namespace

sweep::Registration FileSweepRegistration() {
  return {{{sweep::module::kFile, "hashes, names and YARA rules of files"}}, &Make, false};
}

}  // namespace trawl::files
