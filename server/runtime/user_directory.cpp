// User directory implementation. Every method takes the mutex once and never calls out while
// holding it, except for_each_online, whose callback may only queue frames.
#include "server/runtime/user_directory.hpp"

namespace roomctl::runtime {

UserDirectory::BindResult UserDirectory::bind(const std::string& user, std::shared_ptr<Outbox> conn,
                                              protocol::Dialect dialect) {
  std::lock_guard lock(mutex_);
  BindResult r;
  auto [it, inserted] = users_.try_emplace(user);
  User& u = it->second;
  r.reconnect = !inserted;
  if (u.conn) {
    r.replaced = std::move(u.conn);
  } else {
    ++online_;
    if (!inserted) offline_.erase({u.offline_since, user});
  }
  u.conn = std::move(conn);
  u.dialect = dialect;
  r.status = u.status;
  r.rooms.assign(u.rooms.begin(), u.rooms.end());
  return r;
}

protocol::Dialect UserDirectory::dialect(const std::string& user) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user);
  return it == users_.end() ? protocol::Dialect::event_from : it->second.dialect;
}

bool UserDirectory::unbind(const std::string& user, std::uint64_t conn_id, Millis now,
                           std::vector<std::string>& rooms) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user);
  if (it == users_.end() || !it->second.conn || it->second.conn->id() != conn_id) return false;
  User& u = it->second;
  u.conn.reset();
  u.offline_since = now;
  offline_.insert({now, user});
  --online_;
  rooms.assign(u.rooms.begin(), u.rooms.end());
  return true;
}

std::vector<UserDirectory::Expired> UserDirectory::expire(Millis now, Millis grace) {
  std::vector<Expired> out;
  std::lock_guard lock(mutex_);
  while (!offline_.empty() && offline_.begin()->first + grace <= now) {
    auto node = offline_.extract(offline_.begin());
    auto it = users_.find(node.value().second);
    if (it == users_.end()) continue;
    out.push_back({it->first, {it->second.rooms.begin(), it->second.rooms.end()}});
    users_.erase(it);
  }
  return out;
}

void UserDirectory::restore_offline(const std::string& user, const std::string& room,
                                    UserStatus status, Millis now) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = users_.try_emplace(user);
  User& u = it->second;
  if (inserted) {
    u.offline_since = now;
    offline_.insert({now, user});
  }
  u.rooms.insert(room);
  if (static_cast<int>(status) > static_cast<int>(u.status)) u.status = status;
}

bool UserDirectory::send(const std::string& user, const Frame& frame) {
  std::shared_ptr<Outbox> conn = connection(user);
  if (!conn) return false;
  conn->send(frame);
  return true;
}

void UserDirectory::set_dialect(const std::string& user, protocol::Dialect dialect) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user);
  if (it != users_.end()) it->second.dialect = dialect;
}

bool UserDirectory::send(const std::string& user, const games::Outbound& message,
                         const std::string* room) {
  std::shared_ptr<Outbox> conn;
  Frame frame;
  {
    std::lock_guard lock(mutex_);
    auto it = users_.find(user);
    if (it == users_.end() || !it->second.conn) return false;
    frame = message.for_dialect(it->second.dialect);
    conn = it->second.conn;
  }
  if (!frame) return false;
  if (room)
    conn->send_in_room(*room, std::move(frame));
  else
    conn->send(std::move(frame));
  return true;
}

std::size_t UserDirectory::send_many(const std::vector<std::string>& users,
                                     const games::Outbound& message, const std::string* except,
                                     const std::string* room) {
  std::size_t n = 0;
  std::lock_guard lock(mutex_);
  for (const auto& u : users) {
    if (except && u == *except) continue;
    auto it = users_.find(u);
    if (it == users_.end() || !it->second.conn) continue;
    const Frame& frame = message.for_dialect(it->second.dialect);
    if (!frame) continue;
    // Only queues (never calls back): safe under the lock.
    if (room)
      it->second.conn->send_in_room(*room, frame);
    else
      it->second.conn->send(frame);
    ++n;
  }
  return n;
}

std::shared_ptr<Outbox> UserDirectory::connection(const std::string& user) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user);
  return it == users_.end() ? nullptr : it->second.conn;
}

bool UserDirectory::online(const std::string& user) {
  return connection(user) != nullptr;
}

bool UserDirectory::known(const std::string& user) {
  std::lock_guard lock(mutex_);
  return users_.count(user) != 0;
}

bool UserDirectory::set_status(const std::string& user, UserStatus status) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user);
  if (it == users_.end() || it->second.status == status) return false;
  it->second.status = status;
  return true;
}

UserStatus UserDirectory::status(const std::string& user) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user);
  return it == users_.end() ? UserStatus::idle : it->second.status;
}

void UserDirectory::add_room(const std::string& user, const std::string& room) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user);
  if (it != users_.end()) it->second.rooms.insert(room);
}

void UserDirectory::remove_room(const std::string& user, const std::string& room) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user);
  if (it != users_.end()) it->second.rooms.erase(room);
}

std::vector<std::string> UserDirectory::rooms(const std::string& user) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user);
  if (it == users_.end()) return {};
  return {it->second.rooms.begin(), it->second.rooms.end()};
}

void UserDirectory::for_each_online(
    const std::function<void(const std::string&, UserStatus, Outbox&)>& fn) {
  std::lock_guard lock(mutex_);
  for (auto& [id, u] : users_)
    if (u.conn) fn(id, u.status, *u.conn);
}

std::size_t UserDirectory::online_count() {
  std::lock_guard lock(mutex_);
  return online_;
}

std::size_t UserDirectory::known_count() {
  std::lock_guard lock(mutex_);
  return users_.size();
}

}  // namespace roomctl::runtime
