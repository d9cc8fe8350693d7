#!/usr/bin/env bash
# Builds the Dockerfile with podman and proves the image: /healthz answers and
# the HEALTHCHECK passes, `fmc classify` of the demo file inside the container
# gives the same labels as outside, and a user and key made in the container's
# volume survive a restart. Prints the image's size.
#
# No registry can be reached here: when `debian:trixie-slim` cannot be pulled,
# it is built locally with debootstrap and imported under that name.
# podman runs with runc (crun fails on this kernel's hybrid cgroups).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${FMC_IMAGE:-localhost/freemobilachat:test}
BASE=debian:trixie-slim
PORT=${FMC_CONTAINER_PORT:-3917}
NAME=fmc-container-test-$$
VOLUME=$NAME-data
podman=(podman --runtime runc)
# Without systemd, podman says at every start that it cannot schedule health checks: the test runs them itself.
exec 2> >(grep -v --line-buffered 'systemd connection' >&2)
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'container test FAILED: %s\n' "$*" >&2; exit 1; }

missing=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Without this, podman asks the kernel for ulimits this sandbox refuses.
if ! grep -qs 'default_ulimits' /etc/containers/containers.conf; then
  $SUDO mkdir -p /etc/containers
  printf '[containers]\ndefault_ulimits = []\n' | $SUDO tee /etc/containers/containers.conf >/dev/null
fi

cleanup() {
  "${podman[@]}" rm -f "$NAME" >/dev/null 2>&1 || true
  "${podman[@]}" volume rm -f "$VOLUME" >/dev/null 2>&1 || true
}
trap cleanup EXIT

if ! "${podman[@]}" image exists "$BASE"; then
  say "base image $BASE"
  if ! timeout 60 "${podman[@]}" pull -q "docker.io/library/$BASE" >/dev/null 2>&1; then
    echo "no registry: building $BASE with debootstrap"
    rootfs=$(mktemp -d /var/tmp/trixie-rootfs.XXXXXX)
    $SUDO debootstrap --variant=minbase trixie "$rootfs" http://deb.debian.org/debian >/dev/null
    # What the official slim image leaves out too: package caches and lists, documentation, translations.
    $SUDO rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
    $SUDO tar -C "$rootfs" -c . | "${podman[@]}" import - "$BASE" >/dev/null
    $SUDO rm -rf "$rootfs"
  fi
fi

say "building $IMAGE"
started=$(date +%s)
build_log=$(mktemp)
# Docker's image format keeps the HEALTHCHECK (OCI's drops it). The machine's CA bundle goes to npm inside the build (a TLS-inspecting proxy stands between it and the registry here).
"${podman[@]}" build --pull=never -q --format docker --secret id=npmca,src=/etc/ssl/certs/ca-certificates.crt -t "$IMAGE" . >"$build_log" 2>&1 || { tail -40 "$build_log"; fail "the image did not build"; }
rm -f "$build_log"
size=$("${podman[@]}" image inspect --format '{{.Size}}' "$IMAGE")
echo "built in $(( $(date +%s) - started )) s; image size $(( size / 1024 / 1024 )) MB"

say "a user and a key made in the container's volume"
"${podman[@]}" volume create "$VOLUME" >/dev/null
echo 'a long enough password' | "${podman[@]}" run --rm -i -v "$VOLUME:/data" "$IMAGE" users add admin --role admin --password-stdin
KEY=$("${podman[@]}" run --rm -v "$VOLUME:/data" "$IMAGE" keys create --user admin --name container-test | tail -n 1)
[[ "$KEY" =~ ^fmc_ ]] || fail "no key printed: $KEY"

say "serving"
# The image's default command, on a port of the test's (FMC_PORT: the HEALTHCHECK follows it).
"${podman[@]}" run -d --name "$NAME" --network host -e FMC_PORT="$PORT" -v "$VOLUME:/data" "$IMAGE" >/dev/null
wait_healthy() {
  for _ in $(seq 1 60); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  "${podman[@]}" logs "$NAME" | tail -20
  fail "/healthz did not answer"
}
wait_healthy
echo "/healthz: $(curl -fsS "http://127.0.0.1:$PORT/healthz")"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/runs")" = 401 ] || fail "/api/runs answered without a key"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/api/runs")" = 200 ] || fail "the key was refused"
# The image's own HEALTHCHECK (the command podman runs on its schedule) passes.
"${podman[@]}" healthcheck run "$NAME" || fail "the image's HEALTHCHECK failed"
echo "HEALTHCHECK: healthy"
user=$("${podman[@]}" exec "$NAME" id -un)
[ "$user" = fmc ] || fail "the server runs as $user, not fmc"
echo "runs as: $user"

say "restart: the user and the key are still there"
"${podman[@]}" restart "$NAME" >/dev/null
wait_healthy
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/api/runs")" = 200 ] || fail "the key was lost with the restart"
"${podman[@]}" exec "$NAME" fmc users list | grep -q '^admin' || fail "the user was lost with the restart"
echo "key and user survived the restart"

say "fmc classify of the demo file, inside and outside"
inside=$(mktemp) outside=$(mktemp)
"${podman[@]}" run --rm -i "$IMAGE" classify - --quiet <examples/demo_tweets.csv >"$inside"
node bin/fmc.js classify examples/demo_tweets.csv --quiet --no-cache >"$outside"
# Same rows, same labels; only the file's run-dependent fields could differ (none do for the same input).
if ! cmp -s "$inside" "$outside"; then
  diff <(head -c 2000 "$inside") <(head -c 2000 "$outside") | head -20
  fail "the labels inside the container differ from those outside"
fi
echo "$(wc -l <"$inside") rows, identical inside and outside"
rm -f "$inside" "$outside"

say "container test passed (image $(( size / 1024 / 1024 )) MB)"
