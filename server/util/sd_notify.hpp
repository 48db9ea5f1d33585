// systemd's service notification protocol (sd_notify(3)), written here instead of linking
// libsystemd for one sendto(): with Type=notify, systemd starts dependent units only after
// READY=1 (both listeners bound) and shows STATUS= in `systemctl status`.
#pragma once

#include <string>

namespace roomctl::util {

// Sends `state` (e.g. "READY=1\nSTATUS=serving") as one datagram to $NOTIFY_SOCKET: a path, or
// an abstract socket when it starts with '@'. Returns false when the variable is unset (not
// started by systemd) or the send failed; callers go on either way.
bool sd_notify(const std::string& state);

}  // namespace roomctl::util
