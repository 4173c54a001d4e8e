#!/bin/sh
# Fill a SIPp scenario template (tests/sipp/*.xml.in) and print it on stdout.
#
# usage: mkphone.sh RING_MS TALK_MS > out.xml              phone_uas.xml.in (answering phone)
#        mkphone.sh --busy RING_MS > out.xml               phone_busy.xml.in (rings, then 486)
#        mkphone.sh --lost-ack RING_MS TALK_MS > out.xml   phone_lost_ack.xml.in (ignores the first ACK)
#        mkphone.sh --file TEMPLATE RING_MS TALK_MS > out.xml   any template
# RING_MS / TALK_MS are milliseconds (plain integers; SIPp timeouts only take literals).
set -eu
d="$(dirname "$0")"
usage() { sed -n '2,8p' "$0" >&2; exit 2; }
num() { case "$1" in ''|*[!0-9]*) echo "mkphone.sh: '$1' is not a number of milliseconds" >&2; exit 2;; esac; }
case "${1:-}" in
  --busy)     [ $# -eq 2 ] || usage; tpl="$d/phone_busy.xml.in"; ring="$2"; talk=0 ;;
  --lost-ack) [ $# -eq 3 ] || usage; tpl="$d/phone_lost_ack.xml.in"; ring="$2"; talk="$3" ;;
  --file)     [ $# -eq 4 ] || usage; tpl="$2"; ring="$3"; talk="$4" ;;
  -h|--help|'') usage ;;
  *)          [ $# -eq 2 ] || usage; tpl="$d/phone_uas.xml.in"; ring="$1"; talk="$2" ;;
esac
num "$ring"; num "$talk"
[ -r "$tpl" ] || { echo "mkphone.sh: no template $tpl" >&2; exit 2; }
sed -e "s/@RING_MS@/$ring/g" -e "s/@TALK_MS@/$talk/g" "$tpl"
