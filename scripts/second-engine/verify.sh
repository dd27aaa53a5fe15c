#!/usr/bin/env bash
# Checks against a running dockerd2 (run after setup.sh, same DOCKERD2_* variables).
set -euo pipefail
NS_IP=${DOCKERD2_NS_IP:-10.231.0.2}
TLS_PORT=${DOCKERD2_TLS_PORT:-2376}
RUN_DIR=${DOCKERD2_RUN_DIR:-/run/dockerd2}
STATE_DIR=${DOCKERD2_STATE_DIR:-/var/lib/dockerd2}
CONTEXT=${DOCKERD2_CONTEXT:-safeops-b}
IMAGE=${DOCKERD2_TEST_IMAGE:-safeops-test/busybox:latest}
C=$STATE_DIR/certs
D="docker -H unix://$RUN_DIR/docker.sock"
ok() { printf 'PASS %s\n' "$*"; }

$D info -f '{{.ServerVersion}} driver={{.Driver}} cgroup={{.CgroupDriver}} root={{.DockerRootDir}}' | sed 's/^/  /'
ok "unix socket info"
[ "$($D info -f '{{.Driver}}')" = "$(docker -H unix:///var/run/docker.sock info -f '{{.Driver}}')" ] && ok "same storage driver as main engine"
docker -H unix:///var/run/docker.sock save "$IMAGE" | $D load >/dev/null && ok "docker save (main) | docker load (dockerd2)"
[ "$($D run --rm "$IMAGE" echo ok)" = ok ] && ok "run --rm $IMAGE echo ok (unix)"
[ "$(docker --context "$CONTEXT" run --rm "$IMAGE" echo ok)" = ok ] && ok "run via context $CONTEXT (TLS)"
docker -H "tcp://$NS_IP:$TLS_PORT" --tlsverify --tlscacert "$C/ca.pem" --tlscert "$C/cert.pem" --tlskey "$C/key.pem" \
  version -f '{{.Server.Version}}' >/dev/null && ok "docker -H tcp://$NS_IP:$TLS_PORT --tlsverify"
[ "$(curl -sS --cacert "$C/ca.pem" --cert "$C/cert.pem" --key "$C/key.pem" "https://$NS_IP:$TLS_PORT/_ping")" = OK ] && ok "curl _ping with client cert"
if curl -sS --cacert "$C/ca.pem" "https://$NS_IP:$TLS_PORT/_ping" >/dev/null 2>&1; then
  echo "FAIL: TLS port accepted a client without certificate"; exit 1
else ok "TLS port rejects clients without a certificate"; fi
echo | openssl s_client -connect "$NS_IP:$TLS_PORT" -CAfile "$C/ca.pem" -cert "$C/cert.pem" -key "$C/key.pem" \
  -verify_ip "$NS_IP" -verify_return_error 2>/dev/null | grep -q 'Verify return code: 0 (ok)' && ok "openssl s_client verifies server cert (IP SAN $NS_IP)"
# published port reachable from the host at the namespace address
cid=$($D run -d -p 18099:80 "$IMAGE" sh -c 'mkdir -p /w && echo hello-d2 > /w/index.html && exec httpd -f -p 80 -h /w')
for _ in $(seq 20); do r=$(curl -s -m 2 "http://$NS_IP:18099/index.html" || true); [ "$r" = hello-d2 ] && break; sleep 0.25; done
$D rm -f "$cid" >/dev/null
[ "$r" = hello-d2 ] && ok "published port -p 18099:80 reachable from host at $NS_IP:18099"
echo "all checks passed"
