#!/bin/sh
# Self-test for phone_register.xml: selftest/registrar.xml (1001/secret) + phone_register (-au 1001 -ap PASS)
# + a caller (selftest/uac_nosdp.xml) that calls the registered contact once registration is done.
# usage: run_register.sh OUTDIR PASS [BASE_PORT]
set -u
out="$1"; pass="$2"; p="${3:-40141}"; d="$(cd "$(dirname "$0")/.." && pwd)"
rm -rf "$out"; mkdir -p "$out"; cd "$out"
"$d/mkphone.sh" --file "$d/phone_register_answer.xml.in" 300 1500 > answer.xml
timeout 30 sipp -sf "$d/selftest/registrar.xml" -i 127.0.0.1 -p "$p" -m 1 -nostdin -timeout 20 \
  -trace_logs -log_file reg.log >reg.out 2>&1 &
reg=$!; sleep 0.3
timeout 30 sipp -sf "$d/phone_register.xml" -oocsf answer.xml 127.0.0.1:"$p" -i 127.0.0.1 -p $((p + 1)) \
  -mi 127.0.0.1 -mp $((p + 100)) -set who 1001 -au 1001 -ap "$pass" -m 1 -nostdin -timeout 20 \
  -trace_logs -log_file dev.log -trace_msg -message_file dev_msgs.log -trace_err -error_file dev_err.log >dev.out 2>&1 &
dev=$!
for i in 1 2 3 4 5 6 7 8 9 10; do grep -q "waiting for an INVITE\|REGISTER rejected" dev.log 2>/dev/null && break; sleep 0.3; done
if grep -q "waiting for an INVITE" dev.log; then
  timeout 30 sipp -sf "$d/selftest/uac_nosdp.xml" 127.0.0.1:$((p + 1)) -i 127.0.0.1 -p $((p + 2)) -m 1 -nostdin -timeout 20 >uac.out 2>&1
  echo "caller rc=$?"
fi
wait $dev; echo "device rc=$?"; wait $reg; echo "registrar rc=$?"
echo "--- registrar log"; cat reg.log; echo "--- device log"; cat dev.log
