# Shared by the load benchmarks (sourced): the report, the token supply and the statistics.
# Expects REPORT (the report file) and WORK (the scratch directory) to be set.

log() { echo "$*" | tee -a "$REPORT"; }

# take_tokens FILE COUNT: moves the next COUNT unused tokens of $WORK/tokens.txt into FILE.
take_tokens() {
  head -n "$2" "$WORK/tokens.txt" >"$1"
  tail -n +"$(($2 + 1))" "$WORK/tokens.txt" >"$WORK/rest" && mv "$WORK/rest" "$WORK/tokens.txt"
}

# value RUN FIELD: one field of the RESULT line wrk printed for RUN (see wrk_result.lua).
value() { grep '^RESULT' "$WORK/$1.wrk" | tr ' ' '\n' | awk -F= -v k="$2" '$1==k{print $2}'; }

# median: of the numbers on stdin.
median() { sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
