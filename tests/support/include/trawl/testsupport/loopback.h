// Test support: a live TCP connection held by the test process, for the
// network sweep's tests (it reads the socket table): a listener on `address`
// (a loopback address such as 127.0.0.2, any port), a client connected to it
// and the accepted end. The three sockets close when it goes out of scope.
#pragma once

#include <cstdint>
#include <string>

namespace trawl::testsupport {

class LoopbackConnection {
 public:
  // A failure fails the running test (ADD_FAILURE) and leaves ok() false.
  explicit LoopbackConnection(const std::string& address);
  ~LoopbackConnection();
  LoopbackConnection(const LoopbackConnection&) = delete;
  LoopbackConnection& operator=(const LoopbackConnection&) = delete;

  bool ok() const { return accepted_ >= 0; }
  std::uint16_t port() const { return port_; }  // the listener's, host order
  // "ADDRESS:PORT": the client's remote end as the network sweep shows it.
  std::string remote() const { return address_ + ":" + std::to_string(port_); }

 private:
  std::string address_;
  std::uint16_t port_ = 0;
  int listener_ = -1, client_ = -1, accepted_ = -1;
};

}  // namespace trawl::testsupport
