// Uses libpushrun as an installed package: registers a counter in its own registry, prints the
// text exposition and the URL a push would go to. check-install.sh compares the output. The
// Pushgateway client pulls in the parts of the static archive that need other libraries (zlib
// for gzip, libdl for loading libcurl), so a package file that forgets one fails to link here.

#include <pushrun/metrics.h>

#include <iostream>

int main() {
  pushrun::metrics::Registry registry;
  const pushrun::metrics::Counter jobs({.name = "consumer_jobs",
                                        .help = "Jobs the consumer processed.",
                                        .label_names = {"queue"},
                                        .registries = {&registry}});
  jobs.Labels({"default"}).Inc(3);
  std::cout << registry.Serialize();
  const pushrun::metrics::Pushgateway gateway("HTTP://127.0.0.1:9091/prefix/", {.gzip = true},
                                              registry);
  std::cout << gateway.UrlFor({.job_name = "consumer"}) << "\n";
  return 0;
}
