# Sourced by bench/run.sh, bench/writes.sh and bench/plugin_ratio.sh (not run on its own). The
# functions call `CCGATE call`, which reads CCGATE_ENDPOINT, CCGATE_ACCESS_KEY_ID and
# CCGATE_ACCESS_KEY_SECRET.
#
# seed_numbers CCGATE INSTANCE NUMBERS OUT [BOUND FLOW_ID...]: adds NUMBERS phone numbers
# 13800000000, 13800000001, ... to INSTANCE with AddBulkPhoneNumbers, at most 100 per call.
# With BOUND and FLOW_IDs, the first BOUND numbers are bound to the flows (ContactFlowId of
# AddBulkPhoneNumbers) in equal consecutive blocks, number i to FLOW_ID[i * flows / BOUND]
# (a call never mixes flows); the rest are bound to none. Each call's answer goes to OUT; on a
# failed call it is printed and the function returns 1.
seed_numbers() {
    local ccgate=$1 instance=$2 numbers=$3 out=$4 bound=${5:-0} i flow="" next
    local -a flows=("${@:6}") args=()
    [ "${#flows[@]}" -gt 0 ] || bound=0
    _seed_flush() {
        [ "${#args[@]}" -gt 0 ] || return 0
        "$ccgate" call AddBulkPhoneNumbers "InstanceId=$instance" Usage=Bidirection \
            ${flow:+"ContactFlowId=$flow"} "${args[@]}" >"$out" || { cat "$out" >&2; return 1; }
        args=()
    }
    for ((i = 0; i < numbers; i++)); do
        next=""
        if ((i < bound)); then next=${flows[$((i * ${#flows[@]} / bound))]}; fi
        if [ "$next" != "$flow" ] || [ "${#args[@]}" -ge 100 ]; then
            _seed_flush || return 1
            flow=$next
        fi
        args+=("PhoneNumber.$((${#args[@]} + 1))=138$(printf '%08d' "$i")")
    done
    _seed_flush
}

# seed_flows CCGATE INSTANCE FLOWS OUT: creates FLOWS main flows `bench-flow-000`, ... in
# INSTANCE with 2017-07-05 CreateContactFlow (one draft version each), their Content the
# definition of the instance's default flow (the first flow 2020 ListContactFlows lists; every
# instance gets one when it is created). Prints the new ContactFlowIds, one per line, in
# creation order. Each call's answer goes to OUT; on a failed call it is printed and the
# function returns 1.
seed_flows() {
    local ccgate=$1 instance=$2 flows=$3 out=$4 content i
    "$ccgate" call ListContactFlows --api-version 2020-07-01 "InstanceId=$instance" \
        PageNumber=1 PageSize=1 >"$out" || { cat "$out" >&2; return 1; }
    content=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Data"]["List"][0]["Definition"])' "$out") ||
        { echo "seed_flows: no flow to copy the definition of in $instance" >&2; return 1; }
    for ((i = 0; i < flows; i++)); do
        "$ccgate" call CreateContactFlow "InstanceId=$instance" "Name=bench-flow-$(printf '%03d' "$i")" \
            Type=Mainflow "Description=wrk flow $i" "Content=$content" >"$out" ||
            { cat "$out" >&2; return 1; }
        python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ContactFlow"]["ContactFlowId"])' "$out" ||
            { cat "$out" >&2; return 1; }
    done
}

# seed_instance: the seeding of bench/run.sh and bench/writes.sh, from their settings (CCGATE,
# INSTANCE, FLOWS, NUMBERS, BOUND_FLOWS, BOUND_NUMBERS, TMP) and with their log and die
# (bench/lib.sh): FLOWS new flows (seed_flows), then NUMBERS numbers (seed_numbers), the first
# BOUND_NUMBERS of them bound to the first BOUND_FLOWS of those flows. Dies when a call fails.
seed_instance() {
    local -a flow_ids
    log "creating $FLOWS contact flows (CreateContactFlow, via ccgate call)"
    mapfile -t flow_ids < <(seed_flows "$CCGATE" "$INSTANCE" "$FLOWS" "$TMP/seed.out" ||
        echo "FAILED")
    [ "${#flow_ids[@]}" = "$FLOWS" ] && [[ " ${flow_ids[*]} " != *" FAILED "* ]] ||
        die "CreateContactFlow failed"
    log "seeding $NUMBERS numbers, the first $BOUND_NUMBERS bound to $BOUND_FLOWS flows" \
        "(AddBulkPhoneNumbers, 100 per call, via ccgate call)"
    seed_numbers "$CCGATE" "$INSTANCE" "$NUMBERS" "$TMP/seed.out" "$BOUND_NUMBERS" \
        "${flow_ids[@]:0:$BOUND_FLOWS}" || die "AddBulkPhoneNumbers failed"
}
