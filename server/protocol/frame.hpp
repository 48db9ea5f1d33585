// An immutable, shared outbound (or relayed inbound) text frame: serialise once, queue everywhere.
#pragma once

#include <memory>
#include <string>

namespace roomctl {

using Frame = std::shared_ptr<const std::string>;

inline Frame make_frame(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

}  // namespace roomctl
