// One event-loop thread. A shard is an io_context run by exactly one thread; the connections
// accepted onto it and the rooms created on it are pinned there for life, so their state needs no
// lock and no strand (the thread is their serial executor). A shard also gives its connections:
//  - corking: a connection that queued frames during this pass of the event loop asks once to be
//    flushed, and one handler at the end of the pass writes each such connection's frames in one
//    gathered write (frames for a member of a busy room leave together, not one syscall each);
//  - a hand-off for frames queued from another thread (a room on another shard): they are
//    batched in a mailbox drained by one handler, not posted one lambda per frame;
//  - a ticker for their keep-alive pings and idle, handshake and close timeouts, instead of a
//    timer per connection.
// Only server/net includes this header.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "server/protocol/frame.hpp"

namespace roomctl::net {

class WsSession;

class Shard {
 public:
  explicit Shard(int index);
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  boost::asio::io_context& ioc() { return ioc_; }
  int index() const { return index_; }
  // The shard whose thread is calling, or null off every shard (main thread, store threads).
  static Shard* current();
  bool is_current() const { return current() == this; }

  // Runs the event loop on the calling thread until the io_context stops.
  void run();
  void stop() { ioc_.stop(); }

  // On this shard's thread: `session` has frames to write; it is written once this pass ends.
  void want_flush(std::shared_ptr<WsSession> session);
  // From any thread: queue `frame` on a session of this shard (`done` as for send_then).
  void hand_off(std::shared_ptr<WsSession> session, Frame frame,
                std::function<void(bool)> done = nullptr);

  // Sessions register for the ticker while they are open (on this shard's thread).
  void attach(WsSession* session);
  void detach(WsSession* session);
  // Starts the ticker: every `interval_ms` each attached session checks its timeouts.
  void start_ticker(std::int64_t interval_ms);

  // Scratch space for one read of any connection of this shard (a connection keeps no read
  // buffer of its own while idle).
  char* read_buffer() { return read_buffer_.data(); }
  std::size_t read_buffer_size() const { return read_buffer_.size(); }

 private:
  void flush();
  void drain_mailbox();
  void tick();

  int index_;
  boost::asio::io_context ioc_{1};
  boost::asio::steady_timer ticker_;
  std::int64_t tick_ms_ = 0;
  std::vector<std::shared_ptr<WsSession>> dirty_, flushing_;
  bool flush_posted_ = false;
  struct Handed {
    std::shared_ptr<WsSession> session;
    Frame frame;
    std::function<void(bool)> done;
  };
  std::mutex mailbox_mutex_;
  std::vector<Handed> mailbox_, draining_;
  bool drain_posted_ = false;  // under mailbox_mutex_
  std::vector<WsSession*> sessions_;
  std::vector<char> read_buffer_;
};

// Every shard of the server; the calling thread runs the first one.
class Shards {
 public:
  explicit Shards(int count);
  std::size_t size() const { return shards_.size(); }
  Shard& operator[](std::size_t i) { return *shards_[i]; }
  // Where a new connection goes: round robin.
  Shard& next();
  // Where a new room goes: the shard of the calling thread (the creator's connection, so a room
  // usually shares its thread with its first member), else round robin.
  Shard& for_new_room();
  // Runs shard 0 on the calling thread and the others on their own, until all stop.
  void run();
  void stop();

 private:
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace roomctl::net
