#include "trawl/testsupport/loopback.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace trawl::testsupport {

LoopbackConnection::LoopbackConnection(const std::string& address) : address_(address) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  if (inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1) {
    ADD_FAILURE() << "not an IPv4 address: " << address;
    return;
  }
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t len = sizeof a;
  if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      listen(listener_, 1) != 0 || getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ADD_FAILURE() << "listen on " << address << ": " << std::strerror(errno);
    return;
  }
  port_ = ntohs(a.sin_port);
  client_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (client_ < 0 || connect(client_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ADD_FAILURE() << "connect to " << remote() << ": " << std::strerror(errno);
    return;
  }
  accepted_ = accept(listener_, nullptr, nullptr);
  if (accepted_ < 0) ADD_FAILURE() << "accept on " << remote() << ": " << std::strerror(errno);
}

LoopbackConnection::~LoopbackConnection() {
  for (int fd : {accepted_, client_, listener_})
    if (fd >= 0) ::close(fd);
}

}  // namespace trawl::testsupport
