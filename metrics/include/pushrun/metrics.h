#pragma once
// The umbrella header of libpushrun's metrics library.

#include "pushrun/metrics/collectable.h"
#include "pushrun/metrics/encoded_request.h"
#include "pushrun/metrics/error.h"
#include "pushrun/metrics/exposition.h"
#include "pushrun/metrics/family.h"
#include "pushrun/metrics/http_header.h"
#include "pushrun/metrics/metric.h"
#include "pushrun/metrics/names.h"
#include "pushrun/metrics/parser.h"
#include "pushrun/metrics/protobuf.h"
#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/registry.h"
#include "pushrun/metrics/remote_write.h"
#include "pushrun/metrics/transport.h"
#include "pushrun/metrics/url.h"
