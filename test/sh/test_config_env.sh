#!/usr/bin/env bash
# $NAME in a config is the variable's value, never source: values built to
# break out of a string or to run code end up as plain strings, numbers
# stay numbers, and comments are left alone.
source "$(dirname "$0")/core_lib.sh"

export SKY_EVIL1='" .. os.exit(3) .. "'
export SKY_EVIL2="' .. os.exit(3) .. '"
export SKY_EVIL3='\" os.exit(3) --'
export SKY_EVIL4=$'x"\nos.exit(3)\n--'
export SKY_EVIL5='os.exit(3)'
export SKY_EVIL6='1 ]] os.exit(3) --[['
export SKY_PLAIN="a b 'c' \"d\" \\ e"
export SKY_NUM=' 42 ' SKY_PLUS=+7 SKY_NEG=-5 SKY_HEX=0x10 SKY_RATIO=0.25 SKY_FLAG=true

node_config "$SCRATCH/env.lua" config_env_main <<'CONF'
quoted1 = "$SKY_EVIL1"
quoted2 = "$SKY_EVIL2"
quoted3 = "$SKY_EVIL3"
quoted4 = "$SKY_EVIL4"
quoted5 = "$SKY_EVIL5"
quoted6 = "$SKY_EVIL6"
single1 = '$SKY_EVIL1'
single2 = '$SKY_EVIL2'
single3 = '$SKY_EVIL3'
single4 = '$SKY_EVIL4'
single5 = '$SKY_EVIL5'
single6 = '$SKY_EVIL6'
bare1 = $SKY_EVIL1
bare2 = $SKY_EVIL2
bare3 = $SKY_EVIL3
bare4 = $SKY_EVIL4
bare5 = $SKY_EVIL5
bare6 = $SKY_EVIL6
joined = $SKY_PLAIN .. "/lib"
long = [==[<$SKY_PLAIN>]==]
num = $SKY_NUM
plus = $SKY_PLUS
diff = 10 -$SKY_NEG
hex = $SKY_HEX
ratio = $SKY_RATIO
flag = $SKY_FLAG
noflag = not $SKY_FLAG
-- $SKY_NOT_SET_ANYWHERE is not looked at in a comment
--[[ nor $SKY_NOT_SET_ANYWHERE in a long one ]] commented = "yes"
CONF
timeout 20 ./skynet "$SCRATCH/env.lua" >"$SCRATCH/env.out" 2>&1
st=$?
cat "$SCRATCH/env.out"
[ $st != 3 ] || fail "a variable's value ran as code (os.exit(3))"
[ $st = 0 ] || fail "node exit status $st"
grep -q "TEST PASS" "$SCRATCH/env.out" || fail "config_env_main did not pass"

# a value that would end a long string is refused, with one line
node_config "$SCRATCH/long.lua" config_env_main <<'CONF'
long = [[$SKY_EVIL6]]
CONF
timeout 10 ./skynet "$SCRATCH/long.lua" >"$SCRATCH/long.out" 2>&1
st=$?
cat "$SCRATCH/long.out"
[ $st = 1 ] || fail "a value with ']' in a long string: exit status $st, want 1"
[ "$(wc -l <"$SCRATCH/long.out")" = 1 ] || fail "a value with ']' in a long string: want one line"
grep -q "long\.lua: .*long string" "$SCRATCH/long.out" || fail "the refusal does not name the file"
echo "config env tests passed"
