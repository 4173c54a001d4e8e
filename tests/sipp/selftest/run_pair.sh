#!/bin/sh
# Self-test helper: run one phone scenario (UAS side) against one caller scenario (UAC side) with SIPp.
# usage: run_pair.sh OUTDIR PHONE.xml "PHONE EXTRA ARGS" CALLER.xml|-sn:uac "CALLER EXTRA ARGS" [PHONE_PORT]
# Prints "phone rc=N" and "caller rc=N", then the phone's and the caller's <log> lines.
set -u
out="$1"; phone="$2"; pargs="$3"; caller="$4"; cargs="$5"; pport="${6:-40001}"
cport=$((pport + 1)); rm -rf "$out"; mkdir -p "$out"
timeout 30 sipp -sf "$phone" -i 127.0.0.1 -p "$pport" -mi 127.0.0.1 -mp $((pport + 100)) -m 1 -nostdin -timeout 20 \
  -trace_logs -log_file "$out/phone.log" -trace_msg -message_file "$out/phone_msgs.log" \
  -trace_err -error_file "$out/phone_err.log" $pargs >"$out/phone.out" 2>&1 &
ppid=$!
sleep 0.3
if [ "$caller" = "-sn:uac" ]; then set -- -sn uac; else set -- -sf "$caller"; fi
timeout 30 sipp "$@" 127.0.0.1:"$pport" -i 127.0.0.1 -p "$cport" -mi 127.0.0.1 -mp $((pport + 200)) -m 1 -nostdin -timeout 20 \
  -trace_logs -log_file "$out/caller.log" -trace_msg -message_file "$out/caller_msgs.log" \
  -trace_err -error_file "$out/caller_err.log" $cargs >"$out/caller.out" 2>&1
crc=$?
wait $ppid; prc=$?
echo "phone rc=$prc"; echo "caller rc=$crc"
echo "--- phone log"; cat "$out/phone.log" 2>/dev/null
echo "--- caller log"; cat "$out/caller.log" 2>/dev/null
for f in "$out/phone_err.log" "$out/caller_err.log"; do [ -s "$f" ] && { echo "--- $f"; cat "$f"; }; done
exit 0
