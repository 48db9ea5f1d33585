// An HDR-style log-linear latency histogram: 32 linear sub-buckets per power of two (about 3 %
// relative precision) over 1 us .. 2^40 us, in a fixed 1,200-slot array. Bounded memory, no
// per-sample storage, and two histograms merge by adding their counts (how workers combine).
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <vector>

namespace roomctl::loadgen {

class Histogram {
 public:
  Histogram();
  // A negative value (a reply seen before its intended send time: a clock or schedule bug) is
  // counted apart, never folded into the buckets where it would pass for 0.
  void record(std::int64_t micros);
  void merge(const Histogram& other);
  std::uint64_t count() const { return count_; }
  std::uint64_t negative() const { return negative_; }
  std::int64_t min() const { return count_ ? min_ : 0; }
  std::int64_t max() const { return max_; }
  double mean() const {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
  }
  // The value at quantile q (0..1): the upper edge of the bucket holding it, capped at max().
  std::int64_t quantile(double q) const;
  // How many recorded values are <= micros (bucket-resolution).
  std::uint64_t count_at_or_below(std::int64_t micros) const;
  double sum_seconds() const { return static_cast<double>(sum_) / 1e6; }

  boost::json::object to_json() const;  // sparse: only non-empty buckets
  static Histogram from_json(const boost::json::object& o);

  static std::size_t index_of(std::int64_t v);
  static std::int64_t upper_edge(std::size_t index);

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0, negative_ = 0;
  std::int64_t min_ = INT64_MAX, max_ = 0, sum_ = 0;
};

}  // namespace roomctl::loadgen
