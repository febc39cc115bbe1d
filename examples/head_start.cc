// Connect while the work runs, and send a large checked-elsewhere text while it is checked.
#include <future>
#include <string>
#include <thread>

#include "pushrun/metrics.h"

bool CheckExport(const std::string& text) { return !text.empty() && text.back() == '\n'; }

int main() {
  using namespace pushrun::metrics;
  Registry registry;
  Gauge rows({.name = "export_rows", .help = "Rows exported", .registries = {&registry}});
  Pushgateway gateway("http://pushgateway:9091", {}, registry);
  const PushParams group{.job_name = "export"};

  // Resolves the host and opens the connection (or loads libcurl for https) in the background;
  // the push at the end then starts sending at once. Never throws.
  std::thread([&] { gateway.Prepare(group); }).detach();

  rows.Set(42);  // ... the job's work ...
  const std::string text = "export_detail{part=\"a\"} 1\n";

  // The text goes first while CheckExport runs; the registry's families end the request only
  // once it returned true. On false the request is abandoned short of its length (the gateway
  // stores nothing) and PushError(kValidation) is thrown.
  std::shared_future<bool> checked =
      std::async(std::launch::async, CheckExport, std::cref(text)).share();
  gateway.PushAdd(group, text, checked);
}
