// Shared by the artifact fuzz targets (browser_fuzz, journal_fuzz): the
// indicators they match (a domain, a URL, an IPv4 address, a keyword), the
// matcher built from them, a private temporary folder for the input file, and
// an artifacts::Sweeper. Built once per process; never freed (libFuzzer exits).
#pragma once

#include <stdlib.h>

#include <functional>
#include <memory>
#include <string>

#include "trawl/artifacts/artifacts.h"
#include "trawl/ioc/indicator.h"
#include "trawl/netmatch/netmatch.h"

namespace trawl::fuzz {

struct ArtifactFixture {
  ioc::IndicatorSet set;
  std::unique_ptr<netmatch::NetMatcher> net;
  std::unique_ptr<artifacts::Sweeper> sweeper;
  std::string dir;  // /tmp/trawl-NAME-fuzz-XXXXXX
};

// `configure` sets the sweeper's options; it gets the temporary folder.
inline ArtifactFixture* MakeArtifactFixture(
    const std::string& name,
    const std::function<void(artifacts::Options&, const std::string&)>& configure) {
  auto* fx = new ArtifactFixture();
  auto add = [&](ioc::Kind k, const char* v) {
    ioc::Indicator ind;
    ind.kind = k;
    ind.value = v;
    fx->set.Add(ind);
  };
  add(ioc::Kind::kDomain, "akamaicontainer.com");
  add(ioc::Kind::kUrl, "https://github.com/IconStorages/images");
  add(ioc::Kind::kIpv4, "1.2.3.4");
  add(ioc::Kind::kKeyword, "WCE SERVICE");
  auto m = netmatch::NetMatcher::Build(fx->set);
  if (!m.ok()) __builtin_trap();
  fx->net = std::make_unique<netmatch::NetMatcher>(std::move(*m));
  std::string tmpl = "/tmp/trawl-" + name + "-fuzz-XXXXXX";
  if (!mkdtemp(tmpl.data())) __builtin_trap();
  fx->dir = tmpl;
  artifacts::Options opts;
  opts.max_hits_per_file = 50;
  configure(opts, fx->dir);
  fx->sweeper = std::make_unique<artifacts::Sweeper>(*fx->net, opts);
  return fx;
}

}  // namespace trawl::fuzz
