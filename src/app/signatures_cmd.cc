#include "signatures_cmd.h"

#include <cstdio>
#include <memory>
#include <string>

#include "trawl/ioc/packs.h"
#include "trawl/core/text.h"

namespace trawl::app {
namespace {

std::string Counts(const std::map<std::string, std::uint64_t>& m) {
  std::string s;
  for (const auto& [k, n] : m) s += (s.empty() ? "" : ", ") + std::to_string(n) + " " + k;
  return s.empty() ? "nothing" : s;
}

void Print(const ioc::PackManifest& m) {
  std::printf("%s\tversion %s\tinstalled %s\t%s\n", m.name.c_str(),
              EscapeControl(m.version).c_str(), m.installed.c_str(), Counts(m.counts).c_str());
}

}  // namespace

void AddSignaturesCommands(CLI::App& app, int& exit_code) {
  struct Opts {
    std::string source, name;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sig = app.add_subcommand(
      "signatures", "Manage signature packs in $XDG_DATA_HOME/trawl/packs (loaded by trawl scan)");
  sig->require_subcommand(1);

  CLI::App* install =
      sig->add_subcommand("install", "Install (or update) a pack from a folder or a tarball");
  install->add_option("source", o->source, "signature-base-style folder, or tarball")->required();
  install->add_option("--name", o->name, "Pack name (default: the source's base name)");
  install->callback([o, &exit_code] {
    std::string name = o->name.empty() ? ioc::PackNameFor(o->source) : o->name;
    auto m = ioc::InstallPack(o->source, name, ioc::PacksDir());
    if (!m.ok()) {
      std::fprintf(stderr, "trawl: signatures install: %s\n",
                   EscapeControl(m.status().message()).c_str());
      exit_code = 2;
      return;
    }
    std::printf("installed ");
    Print(*m);
    if (!m->skipped.empty()) std::printf("  skipped: %s\n", Counts(m->skipped).c_str());
    exit_code = 0;
  });

  CLI::App* list = sig->add_subcommand("list", "List installed packs");
  list->callback([&exit_code] {
    auto packs = ioc::ListPacks(ioc::PacksDir());
    if (!packs.ok()) {
      std::fprintf(stderr, "trawl: signatures list: %s\n", packs.status().message().c_str());
      exit_code = 2;
      return;
    }
    if (packs->empty())
      std::fprintf(stderr, "no signature packs installed in %s\n", ioc::PacksDir().c_str());
    for (const ioc::PackManifest& m : *packs) Print(m);
    exit_code = 0;
  });

  CLI::App* remove = sig->add_subcommand("remove", "Remove an installed pack");
  remove->add_option("name", o->name, "Pack name")->required();
  remove->callback([o, &exit_code] {
    Status st = ioc::RemovePack(o->name, ioc::PacksDir());
    if (!st.ok()) {
      std::fprintf(stderr, "trawl: signatures remove: %s\n", EscapeControl(st.message()).c_str());
      exit_code = 2;
      return;
    }
    std::printf("removed %s\n", o->name.c_str());
    exit_code = 0;
  });
}

}  // namespace trawl::app
