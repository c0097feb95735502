#!/usr/bin/env bash
# `make run`: start the server with its defaults (127.0.0.1:7117, ./data)
# and the example configuration (examples/stackyard.yml: the server scrapes
# its own CPU profile every 10 s), push the example profile so that there is
# something to look at at once, and say how to query it. Ctrl-C (SIGINT)
# stops the server cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
LISTEN=${LISTEN:-127.0.0.1:7117}
DATA=${DATA:-data}
URL="http://$LISTEN"

CONFIG=${CONFIG:-examples/stackyard.yml}
# The example scrapes 127.0.0.1:7117, the default address: on another
# address, scrape that one instead.
if [ "$CONFIG" = examples/stackyard.yml ] && [ "$LISTEN" != 127.0.0.1:7117 ]; then
	mkdir -p "$DATA"
	sed "s/127\.0\.0\.1:7117/$LISTEN/" examples/stackyard.yml >"$DATA/stackyard.yml"
	CONFIG="$DATA/stackyard.yml"
fi

# Profile this machine too (stackyard server --agent) where eBPF is permitted.
AGENT=()
if "$BIN/stackyard" agent --check >/dev/null 2>&1; then
	AGENT=(--agent)
	echo "eBPF is permitted here: the server also profiles this machine (--agent)"
else
	echo "not profiling this machine: $("$BIN/stackyard" agent --check 2>&1 | tail -1)"
fi
"$BIN/stackyard" server --listen "$LISTEN" --data "$DATA" --config "$CONFIG" "${AGENT[@]}" &
pid=$!
trap 'kill -INT $pid 2>/dev/null; wait $pid' INT TERM
for _ in $(seq 100); do
	if curl -fsS "$URL/-/ready" >/dev/null 2>&1; then break; fi
	if ! kill -0 $pid 2>/dev/null; then wait $pid; exit 1; fi
	sleep 0.1
done
now=$(date +%s)
curl -fsS -X POST --data-binary @examples/etcd-cpu.pb.gz \
	"$URL/ingest?name=etcd%7Benv%3Dexample%7D&format=pprof&from=$now" >/dev/null &&
	echo "pushed examples/etcd-cpu.pb.gz as service_name=etcd"
q='process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="etcd"}'
qs='process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="stackyard"}'
cat <<EOT

Stackyard is running on $URL (data in $DATA/, configuration $CONFIG: it
scrapes its own CPU profile every 10 s). Try:
  curl '$URL/api/v1/profile-types'
  curl -G '$URL/api/v1/query' --data-urlencode 'query=$q' --data-urlencode format=top
  curl '$URL/api/v1/targets'
  curl -G '$URL/api/v1/query' --data-urlencode 'query=$qs' --data-urlencode format=top
  curl -X POST --data-binary @cpu.pb.gz '$URL/ingest?name=myapp%7Benv%3Ddev%7D&format=pprof'
Ctrl-C stops it.
EOT
wait $pid
