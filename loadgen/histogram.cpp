// Log-linear bucket arithmetic.
#include "loadgen/histogram.hpp"

#include <algorithm>
#include <boost/json/value_to.hpp>

namespace roomctl::loadgen {

namespace {
constexpr std::size_t kLinear = 64;  // values 0..63 exactly
constexpr std::size_t kSub = 32;     // sub-buckets per power of two above that
constexpr std::size_t kSlots = kLinear + 35 * kSub;
constexpr std::int64_t kMax = (std::int64_t{1} << 40) - 1;
}  // namespace

Histogram::Histogram() : counts_(kSlots, 0) {}

std::size_t Histogram::index_of(std::int64_t v) {
  if (v < 0) v = 0;
  if (v > kMax) v = kMax;
  if (v < static_cast<std::int64_t>(kLinear)) return static_cast<std::size_t>(v);
  int msb = 63 - __builtin_clzll(static_cast<unsigned long long>(v));
  int shift = msb - 5;
  std::size_t top = static_cast<std::size_t>(v >> shift);  // 32..63
  return kLinear + static_cast<std::size_t>(shift - 1) * kSub + (top - kSub);
}

std::int64_t Histogram::upper_edge(std::size_t index) {
  if (index < kLinear) return static_cast<std::int64_t>(index);
  std::size_t k = index - kLinear;
  int shift = static_cast<int>(k / kSub) + 1;
  std::int64_t top = static_cast<std::int64_t>(k % kSub + kSub);
  return ((top + 1) << shift) - 1;
}

void Histogram::record(std::int64_t micros) {
  if (micros < 0) {
    ++negative_;
    return;
  }
  ++counts_[index_of(micros)];
  ++count_;
  sum_ += micros;
  min_ = std::min(min_, micros);
  max_ = std::max(max_, micros);
}

void Histogram::merge(const Histogram& o) {
  for (std::size_t i = 0; i < kSlots; ++i) counts_[i] += o.counts_[i];
  if (o.count_) {
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
  }
  count_ += o.count_;
  negative_ += o.negative_;
  sum_ += o.sum_;
}

std::int64_t Histogram::quantile(double q) const {
  if (!count_) return 0;
  auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_));
  if (rank == 0) rank = 1;
  if (rank > count_) rank = count_;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kSlots; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(upper_edge(i), max_);
  }
  return max_;
}

std::uint64_t Histogram::count_at_or_below(std::int64_t micros) const {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < kSlots && upper_edge(i) <= micros; ++i) n += counts_[i];
  return n;
}

boost::json::object Histogram::to_json() const {
  boost::json::array buckets;
  for (std::size_t i = 0; i < kSlots; ++i)
    if (counts_[i]) buckets.push_back(boost::json::array{i, counts_[i]});
  return {{"count", count_}, {"min", min()},          {"max", max_},
          {"sum", sum_},     {"negative", negative_}, {"buckets", std::move(buckets)}};
}

Histogram Histogram::from_json(const boost::json::object& o) {
  Histogram h;
  h.count_ = boost::json::value_to<std::uint64_t>(o.at("count"));
  h.min_ = h.count_ ? boost::json::value_to<std::int64_t>(o.at("min")) : INT64_MAX;
  h.max_ = boost::json::value_to<std::int64_t>(o.at("max"));
  h.sum_ = boost::json::value_to<std::int64_t>(o.at("sum"));
  if (auto n = o.if_contains("negative")) h.negative_ = boost::json::value_to<std::uint64_t>(*n);
  for (const auto& b : o.at("buckets").as_array()) {
    auto i = boost::json::value_to<std::size_t>(b.as_array().at(0));
    if (i < kSlots) h.counts_[i] = boost::json::value_to<std::uint64_t>(b.as_array().at(1));
  }
  return h;
}

}  // namespace roomctl::loadgen
