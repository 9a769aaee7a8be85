#include "trawl/inventory/inventory_sweep.h"

#include "trawl/inventory/inventory.h"
#include "trawl/read/read.h"

namespace trawl::inventory {
namespace {

// inventory::Sweep reports through callbacks during OnFile; they reach the
// Context of the worker that called OnFile.
thread_local sweep::Context* tl_context = nullptr;

class InventorySweep final : public sweep::Sweep {
 public:
  InventorySweep(const ioc::IndicatorSet& set, const sweep::Settings& s)
      : settings_(s),
        sweep_(
            set, s.thresholds,
            [](const Finding& f) {
              Finding copy = f;
              tl_context->Emit(copy);
            },
            [](const std::string& p, const std::string& m) {
              tl_context->Error(p, m, sweep::module::kInventory);
            }) {}

  bool walks() const override { return true; }
  bool Claims(const sweep::Item& item) const override { return item.regular; }
  sweep::Verdict Scan(const sweep::Item& item, sweep::Worker*, sweep::Context& ctx) override {
    tl_context = &ctx;
    if (!sweep_.OnFile(item.read_path, item.shown) && settings_.archives &&
        IsPackagePath(item.walked)) {
      // An installer: the products packaged in it (a PE's version inside an MSI).
      if (auto f = sweep::OpenEntry(item); f.ok())
        sweep_.OnPackage(*f, item.shown, settings_.unpack);
    }
    tl_context = nullptr;
    return sweep::Verdict::kContinue;
  }
  void Summarize(Summary& s) const override {
    s.inventory = sweep_.Installations();
    s.extra.push_back({"installations", static_cast<std::int64_t>(s.inventory.size())});
    s.extra.push_back({"installations_affected", static_cast<std::int64_t>(sweep_.affected())});
  }

 private:
  const sweep::Settings& settings_;
  inventory::Sweep sweep_;
};

Result<std::unique_ptr<sweep::Sweep>> Make(const sweep::Engine& e, const sweep::Settings& s,
                                           std::vector<std::string>&) {
  if (!s.Runs(sweep::module::kInventory) || !e.set) return std::unique_ptr<sweep::Sweep>();
  return std::unique_ptr<sweep::Sweep>(std::make_unique<InventorySweep>(*e.set, s));
}

}  // namespace

sweep::Registration InventorySweepRegistration() {
  return {{{sweep::module::kInventory, "installed products and versions"}}, &Make, false};
}

}  // namespace trawl::inventory
