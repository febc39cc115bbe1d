// Uses libpushrun as an installed package: registers a counter in its own registry and prints
// the text exposition. check-install.sh compares the output.

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
  return 0;
}
