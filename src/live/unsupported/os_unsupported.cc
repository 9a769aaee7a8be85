// The fallback for operating systems without a live implementation yet: every
// call says so, and the sweeps report the module as unsupported.
#include <unistd.h>

#include "trawl/live/os.h"

namespace trawl::live {
namespace {

Status Unsupported() { return Status::Error("live sweeps are not supported on this OS yet"); }

class UnsupportedOs final : public Os {
 public:
  bool supported() const override { return false; }
  Result<std::vector<int>> ListPids() override { return Unsupported(); }
  Result<ProcessInfo> Process(int) override { return Unsupported(); }
  Result<std::vector<Mapping>> Maps(int) override { return Unsupported(); }
  Result<OpenedFile> OpenExe(int) override { return Unsupported(); }
  Result<OpenedFile> OpenMapped(int, const Mapping&) override { return Unsupported(); }
  Status ReadMemory(int, std::uint64_t, std::size_t, std::vector<std::uint8_t>&) override {
    return Unsupported();
  }
  Result<std::vector<Socket>> Sockets() override { return Unsupported(); }
  Result<std::vector<std::uint64_t>> SocketInodes(int) override { return Unsupported(); }
};

}  // namespace

std::unique_ptr<Os> MakeOs(const std::string&) { return std::make_unique<UnsupportedOs>(); }
bool Vanished(const Status&) { return false; }

}  // namespace trawl::live
