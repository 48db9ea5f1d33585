// A recording Outbox for unit tests of the runtime (no sockets).
#pragma once

#include <string>
#include <vector>

#include "server/runtime/outbox.hpp"

namespace roomctl::test {

class FakeOutbox : public runtime::Outbox {
 public:
  explicit FakeOutbox(std::uint64_t id) : id_(id) {}
  void send(Frame f) override { sent.push_back(*f); }
  void send_then(Frame f, std::function<void(bool)> done) override {
    sent.push_back(*f);
    if (done) done(deliver);
  }
  void close(std::uint16_t code, std::string) override { closed_with = code; }
  std::uint64_t id() const override { return id_; }

  std::vector<std::string> sent;
  std::uint16_t closed_with = 0;
  bool deliver = true;

 private:
  std::uint64_t id_;
};

}  // namespace roomctl::test
