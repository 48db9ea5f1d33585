// Registry implementation and the text exposition format (version 0.0.4).
#include "server/metrics/registry.hpp"

#include <charconv>

#include <cmath>
#include <cstdio>

namespace roomctl::metrics {
namespace {

std::string format_number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  // The shortest text that reads back as the same double: a start time keeps its milliseconds
  // (1764325000.123, where %.9g printed 1.764325e+09) and 0.1 stays 0.1.
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

void escape_label(std::string& out, const std::string& v) {
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

std::string label_set(const std::vector<std::string>& names, const Labels& values,
                      const char* extra_name = nullptr, const std::string& extra_value = "") {
  if (names.empty() && !extra_name) return "";
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    out += names[i] + "=\"";
    escape_label(out, i < values.size() ? values[i] : "");
    out += '"';
  }
  if (extra_name) {
    if (!names.empty()) out += ',';
    out += std::string(extra_name) + "=\"" + extra_value + "\"";
  }
  return out + "}";
}

void header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}
}  // namespace

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), counts_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i] = 0;
}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::cumulative() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t acc = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i)
    out[i] = acc += counts_[i].load(std::memory_order_relaxed);
  return out;
}

std::vector<double> exponential_buckets(double start, double factor, int count) {
  std::vector<double> b;
  for (int i = 0; i < count; ++i, start *= factor) b.push_back(start);
  return b;
}

template <typename T>
T& Family<T>::with(const Labels& values) {
  std::lock_guard lock(mutex_);
  auto& slot = children_[values];
  if (!slot) {
    if constexpr (std::is_same_v<T, Histogram>)
      slot = std::make_unique<T>(bounds_);
    else
      slot = std::make_unique<T>();
  }
  return *slot;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   std::vector<std::string> labels) {
  std::lock_guard lock(mutex_);
  counters_.emplace_back(new Family<Counter>(name, help, std::move(labels), {}));
  order_.push_back({Entry::counter, counters_.back().get()});
  return *counters_.back();
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                               std::vector<std::string> labels) {
  std::lock_guard lock(mutex_);
  gauges_.emplace_back(new Family<Gauge>(name, help, std::move(labels), {}));
  order_.push_back({Entry::gauge, gauges_.back().get()});
  return *gauges_.back();
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<double> bounds,
                                       std::vector<std::string> labels) {
  std::lock_guard lock(mutex_);
  histograms_.emplace_back(new Family<Histogram>(name, help, std::move(labels), std::move(bounds)));
  order_.push_back({Entry::histogram, histograms_.back().get()});
  return *histograms_.back();
}

void Registry::on_collect(std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(fn));
}

std::string Registry::render() {
  std::vector<std::function<void()>> collectors;
  {
    std::lock_guard lock(mutex_);
    collectors = collectors_;
  }
  for (auto& c : collectors) c();

  std::lock_guard lock(mutex_);
  std::string out;
  out.reserve(16384);
  for (const auto& e : order_) {
    if (e.kind == Entry::counter) {
      auto& f = *static_cast<Family<Counter>*>(e.family);
      header(out, f.name_, f.help_, "counter");
      std::lock_guard fl(f.mutex_);
      for (const auto& [labels, c] : f.children_)
        out += f.name_ + label_set(f.label_names_, labels) + " " + format_number(c->value()) + "\n";
    } else if (e.kind == Entry::gauge) {
      auto& f = *static_cast<Family<Gauge>*>(e.family);
      header(out, f.name_, f.help_, "gauge");
      std::lock_guard fl(f.mutex_);
      for (const auto& [labels, g] : f.children_)
        out += f.name_ + label_set(f.label_names_, labels) + " " + format_number(g->value()) + "\n";
    } else {
      auto& f = *static_cast<Family<Histogram>*>(e.family);
      header(out, f.name_, f.help_, "histogram");
      std::lock_guard fl(f.mutex_);
      for (const auto& [labels, h] : f.children_) {
        auto cum = h->cumulative();
        for (size_t i = 0; i < h->bounds().size(); ++i)
          out += f.name_ + "_bucket" +
                 label_set(f.label_names_, labels, "le", format_number(h->bounds()[i])) + " " +
                 std::to_string(cum[i]) + "\n";
        out += f.name_ + "_bucket" + label_set(f.label_names_, labels, "le", "+Inf") + " " +
               std::to_string(cum.back()) + "\n";
        out += f.name_ + "_sum" + label_set(f.label_names_, labels) + " " +
               format_number(h->sum()) + "\n";
        out += f.name_ + "_count" + label_set(f.label_names_, labels) + " " +
               std::to_string(cum.back()) + "\n";
      }
    }
  }
  return out;
}

}  // namespace roomctl::metrics
