#!/usr/bin/env bash
# A worldsmith cluster on one machine, without containers: PostgreSQL (Debian's binaries, in a temporary folder on
# loopback), a Ray head running the dialogue model as two single-thread replicas, and two fronts (gRPC 50051 and
# 50052, HTTP 8080 and 8081) sharing the store and one asset folder. Ctrl-C stops everything and deletes the folder.
#
#   make cluster                                 # the virtual environment and PostgreSQL, then this script
#   .venv/bin/python deploy/check_cluster.py     # in another terminal: a conversation across both fronts, then a
#                                                # replica killed under load
# CONFIG, PG_PORT, RAY_PORT, GRPC_PORTS and HTTP_PORTS override the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
CONFIG=${CONFIG:-deploy/local-cluster.toml}
PG_PORT=${PG_PORT:-5433}
RAY_PORT=${RAY_PORT:-6379}
read -r -a GRPC_PORTS <<< "${GRPC_PORTS:-50051 50052}"
read -r -a HTTP_PORTS <<< "${HTTP_PORTS:-8080 8081}"
# Ray's token authentication, on for this cluster; every process of it reads the token from ~/.ray/auth_token.
export RAY_AUTH_MODE=token
export WORLDSMITH_API_KEYS=${WORLDSMITH_API_KEYS:-runtime:dev-runtime-key,editor:dev-editor-key,admin:dev-admin-key}

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$PG_BIN" ] || { echo "PostgreSQL is not installed: apt-get install postgresql" >&2; exit 1; }
ROOT=$(mktemp -d /tmp/worldsmith-cluster.XXXXXX)
chmod 755 "$ROOT"
as_postgres() { if [ "$(id -u)" = 0 ]; then chown postgres "$ROOT"; runuser -u postgres -- "$@"; else "$@"; fi; }

FRONTS=()
RAY_PID=
stop() {
  trap - EXIT INT TERM
  for pid in "${FRONTS[@]}" $RAY_PID; do kill "$pid" 2>/dev/null || true; done  # the head takes its node down
  wait "${FRONTS[@]}" $RAY_PID 2>/dev/null || true
  # A head stopped by a signal leaves its address as this machine's current cluster, where `auto` would look.
  if grep -qs ":$RAY_PORT\$" /tmp/ray/ray_current_cluster; then rm -f /tmp/ray/ray_current_cluster; fi
  as_postgres "$PG_BIN/pg_ctl" -D "$ROOT/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$ROOT"
}
trap stop EXIT INT TERM

echo "PostgreSQL on 127.0.0.1:$PG_PORT"
as_postgres "$PG_BIN/initdb" -D "$ROOT/pg" -U worldsmith --auth=trust -E UTF8 >/dev/null
as_postgres "$PG_BIN/pg_ctl" -D "$ROOT/pg" -l "$ROOT/pg.log" -w start \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $ROOT" >/dev/null
export WORLDSMITH_STORE__URL="postgresql://worldsmith@127.0.0.1:$PG_PORT/postgres"

echo "Ray head on 127.0.0.1:$RAY_PORT"
"$VENV/bin/ray" start --head --block --port="$RAY_PORT" --node-ip-address=127.0.0.1 --include-dashboard=false \
  --disable-usage-stats >"$ROOT/ray.log" 2>&1 &
RAY_PID=$!
until "$VENV/bin/ray" status --address="127.0.0.1:$RAY_PORT" >/dev/null 2>&1; do
  kill -0 "$RAY_PID" 2>/dev/null || { echo "the Ray head exited:" >&2; tail -20 "$ROOT/ray.log" >&2; exit 1; }
  sleep 1
done

front() {  # front GRPC_PORT HTTP_PORT: start a front, wait until its dialogue serves
  "$VENV/bin/worldsmith" serve --config "$CONFIG" --data-dir "$ROOT/assets" --port "$1" --http-port "$2" \
    >"$ROOT/front-$1.log" 2>&1 &
  FRONTS+=($!)
  until "$VENV/bin/python" -c "import grpc,sys; from grpc_health.v1 import health_pb2 as h, health_pb2_grpc as g
service = h.HealthCheckRequest(service='worldsmith.v1.DialogueService')  # serving once its model is ready
sys.exit(g.HealthStub(grpc.insecure_channel('127.0.0.1:$1')).Check(service, timeout=2).status != 1)" \
    2>/dev/null; do
    kill -0 "${FRONTS[-1]}" 2>/dev/null || { echo "front $1 exited:" >&2; tail -20 "$ROOT/front-$1.log" >&2; exit 1; }
    sleep 1
  done
  echo "front on 127.0.0.1:$1 (gRPC), 127.0.0.1:$2 (HTTP); log $ROOT/front-$1.log"
}
# The first front deploys the models on the Ray node; the second finds them running.
for i in "${!GRPC_PORTS[@]}"; do front "${GRPC_PORTS[$i]}" "${HTTP_PORTS[$i]}"; done
echo "ready: Ctrl-C stops the cluster"
wait
