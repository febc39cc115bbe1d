# Sourced by packaging/demo.sh and bench/run.sh: start_local_gateway LOG [PREFIX...] starts
# Debian's prometheus-pushgateway in memory only (--persistence.file=: the default would write
# under /var/lib) on a free 127.0.0.1 port, run by PREFIX if given (e.g. chrt -f 10), with
# $GATEWAY_ARGS appended, and waits until it is ready. It sets gateway_pid and gateway_url;
# stopping it (kill, wait) is the caller's, from its own cleanup. Returns 1 with the log on
# stderr if the gateway does not come up within 10 s.
start_local_gateway() {
  local log=$1 port
  shift
  port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  gateway_url=http://127.0.0.1:$port
  # shellcheck disable=SC2086  # GATEWAY_ARGS is a list of flags
  "$@" /usr/bin/prometheus-pushgateway --web.listen-address="127.0.0.1:$port" \
    --persistence.file= ${GATEWAY_ARGS:-} >"$log" 2>&1 &
  gateway_pid=$!
  for _ in $(seq 100); do
    curl -sf "$gateway_url/-/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the Pushgateway did not start:" >&2
  cat "$log" >&2
  return 1
}
