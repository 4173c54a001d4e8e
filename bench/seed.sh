# Sourced by bench/run.sh and bench/plugin_ratio.sh (not run on its own).
#
# seed_numbers CCGATE INSTANCE NUMBERS OUT: adds NUMBERS phone numbers 13800000000,
# 13800000001, ... to INSTANCE with AddBulkPhoneNumbers, 100 per call, through `CCGATE call`
# (which reads CCGATE_ENDPOINT, CCGATE_ACCESS_KEY_ID and CCGATE_ACCESS_KEY_SECRET). Each call's
# answer goes to OUT; on a failed call it is printed and the function returns 1.
seed_numbers() {
    local ccgate=$1 instance=$2 numbers=$3 out=$4 batch i
    local -a args
    for ((batch = 0; batch * 100 < numbers; batch++)); do
        args=()
        for ((i = 0; i < 100 && batch * 100 + i < numbers; i++)); do
            args+=("PhoneNumber.$((i + 1))=138$(printf '%08d' $((batch * 100 + i)))")
        done
        "$ccgate" call AddBulkPhoneNumbers "InstanceId=$instance" Usage=Bidirection \
            "${args[@]}" >"$out" || { cat "$out" >&2; return 1; }
    done
}
