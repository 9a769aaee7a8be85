// Findings as Elastic Common Schema (ECS 8.x) documents, one JSON object a
// line, ready to index into Elasticsearch or OpenSearch as they are
// (`--json-format ecs`). The mapping is documented in README.md ("ECS").
//
// Error records become documents with event.kind "event" and event.type
// "error"; the summary becomes one document with event.kind "metric" and the
// JSON Lines summary under `trawl.summary`.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "trawl/report/sink.h"

namespace trawl::report {

struct EcsOptions {
  std::string host;     // host.name / host.hostname
  std::string os;       // host.os.full ("Linux 6.1.0 x86_64")
  std::string version;  // observer.version (trawl's version)
};

std::unique_ptr<Sink> MakeEcsSink(std::FILE* out, bool own, EcsOptions opts);

// One finding as an ECS document (no newline); `timestamp` is @timestamp.
std::string EcsFinding(const Finding& f, const EcsOptions& opts, const std::string& timestamp);

}  // namespace trawl::report
