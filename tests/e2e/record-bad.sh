#!/bin/bash
# Bad input for fixmapctl record and fixmap-plugin.so: a QEMU older than 10, a
# command line with its own -plugin or memory backend, thread=single with SMP,
# bad plugin arguments, no shared RAM, and guests that misuse their tables
# (never a root, a 16K granule, self-referencing tables and tables outside RAM):
# a clear message, no crash, no leftover files. And ones that do nothing
# wrong in a way a recorder must follow: a table switch with the MMU off,
# stores narrower than a descriptor, fetches from a range being changed, a
# store through a VA remapped onto a table.
cd "$(dirname "$0")/../.." || exit 2
. tests/lib.sh
. tests/record-lib.sh
record_setup record-bad || { finish; exit; }
MIN=(-M virt,virtualization=on,gic-version=3 -cpu max -m 128M -nographic -monitor none -nic none
	-semihosting)

# expect NAME RC PATTERN CMD...: exit status RC and PATTERN in stdout+stderr.
expect()
{
	local name=$1 want=$2 pat=$3
	shift 3
	"$@" >"$TMP/$name.out" 2>&1 </dev/null
	local rc=$?
	if [ $rc = "$want" ] && grep -q -- "$pat" "$TMP/$name.out"; then
		pass "$name"
	else
		fail "$name" "rc=$rc, want $want and '$pat': $(tail -n3 "$TMP/$name.out")"
	fi
}

old=$(command -v qemu-system-aarch64)
if [ -n "$old" ] && "$old" --version | grep -q 'version [0-9]\.'; then
	expect old-qemu 2 "QEMU 10 or later" "$FM" record -- "$old" "${MIN[@]}"
else
	skip old-qemu "no QEMU older than 10 here"
fi
expect own-plugin 2 "already loads a plugin" "$FM" record -- "$Q10" "${MIN[@]}" -plugin x.so
expect own-backend 2 "already has a memory backend" "$FM" record -- "$Q10" "${MIN[@]}" \
	-object memory-backend-ram,id=m,size=128M -machine memory-backend=m
expect bad-m 2 "expected a size" "$FM" record -- "$Q10" "${MIN[@]}" -m lots
expect no-command 2 "expected a QEMU command" "$FM" record --
expect not-qemu 2 "cannot run it" "$FM" record -- /nonexistent/qemu
expect thread-single 2 "thread=single" "$FM" record --quiet -- "$Q10" "${MIN[@]}" -smp 2 \
	-accel tcg,thread=single -kernel "$BUILD/tests/badguest-nommu.elf"
expect qemu-fails 2 "QEMU exited with status 1 before the guest ran" "$FM" record --quiet -- "$Q10" "${MIN[@]}" \
	-kernel /nonexistent
# The plugin loaded by hand: bad arguments and no shared RAM.
expect plugin-bad-arg 1 "unknown argument 'bogus=1'" "$Q10" "${MIN[@]}" \
	-kernel "$BUILD/tests/badguest-nommu.elf" -plugin "$PLUGIN,out=$TMP/x.trace,bogus=1"
expect plugin-no-ram 1 "no shared guest RAM" "$Q10" "${MIN[@]}" \
	-kernel "$BUILD/tests/badguest-nommu.elf" -plugin "$PLUGIN,out=$TMP/x.trace"
expect plugin-no-out 1 "out=FILE is required" "$Q10" "${MIN[@]}" \
	-kernel "$BUILD/tests/badguest-nommu.elf" -plugin "$PLUGIN"

# Guests.
expect guest-no-mmu 0 "no translation-table root was loaded" "$FM" record --quiet -- "$Q10" \
	"${MIN[@]}" -kernel "$BUILD/tests/badguest-nommu.elf"
expect guest-16k 0 "root 0x40201000 .* not followed: granule 16K" "$FM" record --quiet -- \
	"$Q10" "${MIN[@]}" -kernel "$BUILD/tests/badguest-16k.elf"
# Garbage: the stores are checked (findings, exit 1), the walk stays bounded.
expect guest-loop-outside 1 "el2-0x40201000: a level 3 table at 0x1000 .* outside RAM" \
	"$FM" record --quiet -- "$Q10" "${MIN[@]}" -kernel "$BUILD/tests/badguest-loop.elf"
grep -q "reached from more than 16 places" "$TMP/guest-loop-outside.out" &&
	pass guest-loop-bounded || fail guest-loop-bounded "$(tail -n3 "$TMP/guest-loop-outside.out")"

# Not a misuse: tables built with the MMU off, then a switch with the MMU off
# (pKVM's __pkvm_init_switch_pgd), then the old table's pages reused: nothing
# can hold the old table (its TLBI completed while no walk could happen), so
# it is retired and its garbage is no event; no finding, exit 0.
"$FM" record --quiet --save "$TMP/switch.trace" -- "$Q10" "${MIN[@]}" \
	-kernel "$BUILD/tests/badguest-switch.elf" >"$TMP/switch.out" 2>&1 </dev/null
rc=$?
if [ $rc = 0 ] && grep -q '^c0 use table=el2-0x40203000 replaces=el2-0x40201000 ' "$TMP/switch.trace" &&
	grep -q '^# el2-0x40201000: retired (alle2)' "$TMP/switch.trace" &&
	! grep -q '^c0 pte .*table=el2-0x40201000' "$TMP/switch.trace"; then
	pass guest-switch-mmu-off
else
	fail guest-switch-mmu-off "rc=$rc $(tail -n2 "$TMP/switch.out")"
fi

# A store of 1, 2 or 4 bytes cannot write a whole descriptor: by default it
# gets no memory callback, so the entry it changes comes back as unseen (no
# PC), while its address is still checked against pending maintenance (from
# its registers: [x6, x7] is 0x46000010). With stores=all it is a pte event.
# Neither change needs a break, so no finding, exit 0.
# sym CASE NAME: the address of NAME in badguest-CASE.elf.
sym() { printf '0x%x' "$((16#$("$FM" symbols "$BUILD/tests/badguest-$1.elf" | awk -v s="$2" '$3 == s {print $1}')))"; }
acc=$(sym narrow narrow_access) nar=$(sym narrow narrow_pte)
"$FM" record --quiet --save "$TMP/narrow.trace" -- "$Q10" "${MIN[@]}" \
	-kernel "$BUILD/tests/badguest-narrow.elf" >"$TMP/narrow.out" 2>&1 </dev/null
rc=$?
if [ $rc = 0 ] && grep -q "^c0 access va=0x46000010 table=el2-0x[0-9a-f]* pc=$acc\$" "$TMP/narrow.trace" &&
	grep -q '^c0 unseen va=0x47e00000 level=2 new=0x0 table=' "$TMP/narrow.trace" &&
	! grep -q '^c0 pte va=0x47e00000 ' "$TMP/narrow.trace" &&
	grep -q ' 1 access, 1 unseen;' "$TMP/narrow.out"; then
	pass guest-narrow-store-unseen
else
	fail guest-narrow-store-unseen "rc=$rc, access at $acc: $(grep -E 'access|unseen' "$TMP/narrow.trace" | head -n3)"
fi
shm=/dev/shm/fixmap-rec-$(id -u)-$$
"$Q10" "${MIN[@]}" -kernel "$BUILD/tests/badguest-narrow.elf" \
	-object "memory-backend-file,id=mem,size=128M,mem-path=$shm,share=on" -machine memory-backend=mem \
	-plugin "$PLUGIN,out=$TMP/narrow-all.trace,stores=all" >"$TMP/narrow-all.out" 2>&1 </dev/null
qrc=$?
rm -f "$shm"
"$FM" check "$TMP/narrow-all.trace" >"$TMP/narrow-all.check" 2>&1
crc=$?
if [ $qrc = 0 ] && [ $crc = 0 ] &&
	grep -q "^c0 pte va=0x47e00000 level=2 old=0x47e00701 new=0x0 table=el2-0x[0-9a-f]* ptep=0x[0-9a-f]* pc=$nar\$" \
		"$TMP/narrow-all.trace" &&
	grep -q "^c0 access va=0x46000010 table=el2-0x[0-9a-f]* pc=$acc\$" "$TMP/narrow-all.trace" &&
	! grep -q '^c0 unseen' "$TMP/narrow-all.trace"; then
	pass plugin-stores-all
else
	fail plugin-stores-all "qemu rc=$qrc, check rc=$crc: $(grep -E 'pte|unseen' "$TMP/narrow-all.trace" | tail -n2)"
fi
expect plugin-bad-stores 1 "stores=some: expected wide or all" "$Q10" "${MIN[@]}" \
	-kernel "$BUILD/tests/badguest-nommu.elf" -plugin "$PLUGIN,out=$TMP/x.trace,stores=some"
expect plugin-bad-access 1 "access=some: expected store, fetch, all or off" "$Q10" "${MIN[@]}" \
	-kernel "$BUILD/tests/badguest-nommu.elf" -plugin "$PLUGIN,out=$TMP/x.trace,access=some"

# Fetches from a VA whose entry changed before its TLBI: by default those of
# instructions the plugin calls back for (here the DSB right after the change
# to the block that maps the code itself), not the call into another changed
# block (no callback there); with access=fetch every executed block is checked,
# so that one too. Both changes only set a software bit (no break needed), and
# the fetches come before any TLBI completes (no missing ISB): exit 0.
dsb=$(sym fetch fetch_dsb)
"$FM" record --quiet --save "$TMP/fetch.trace" -- "$Q10" "${MIN[@]}" \
	-kernel "$BUILD/tests/badguest-fetch.elf" >"$TMP/fetch.out" 2>&1 </dev/null
rc=$?
if [ $rc = 0 ] && grep -q "^c0 access va=$dsb exec table=el2-0x[0-9a-f]* pc=$dsb\$" "$TMP/fetch.trace" &&
	! grep -q '^c0 access va=0x40400000 ' "$TMP/fetch.trace" &&
	grep -q ' 1 access, 0 unseen;' "$TMP/fetch.out"; then
	pass guest-fetch-at-callback
else
	fail guest-fetch-at-callback "rc=$rc, dsb at $dsb: $(grep -E ' access ' "$TMP/fetch.trace" | head -n3)"
fi
"$FM" record --quiet --access fetch --save "$TMP/fetch-all.trace" -- "$Q10" "${MIN[@]}" \
	-kernel "$BUILD/tests/badguest-fetch.elf" >"$TMP/fetch-all.out" 2>&1 </dev/null
rc=$?
if [ $rc = 0 ] &&
	grep -q "^c0 access va=$dsb exec table=el2-0x[0-9a-f]* pc=$dsb\$" "$TMP/fetch-all.trace" &&
	grep -q '^c0 access va=0x40400000 exec table=el2-0x[0-9a-f]* pc=0x40400000$' "$TMP/fetch-all.trace" &&
	grep -q ' 2 access, 0 unseen;' "$TMP/fetch-all.out"; then
	pass record-access-fetch
else
	fail record-access-fetch "rc=$rc: $(grep -E ' access ' "$TMP/fetch-all.trace" | head -n3)"
fi
# A VA that held data, remapped (break, TLBI, make) onto the block that holds
# the guest's own tables, then a table store through it: the plugin's cache of
# store translations must give the new physical address (a pte event at the
# store's PC, not an unseen one from the audit). Proper maintenance: exit 0.
rst=$(sym remap remap_store)
"$FM" record --quiet --save "$TMP/remap.trace" -- "$Q10" "${MIN[@]}" \
	-kernel "$BUILD/tests/badguest-remap.elf" >"$TMP/remap.out" 2>&1 </dev/null
rc=$?
if [ $rc = 0 ] &&
	grep -q "^c0 pte va=0x45000000 level=2 old=0x45000701 new=0x80000045000701 table=el2-0x[0-9a-f]* ptep=0x[0-9a-f]* pc=$rst\$" \
		"$TMP/remap.trace" && ! grep -q '^c0 unseen' "$TMP/remap.trace"; then
	pass guest-remap-store-seen
else
	fail guest-remap-store-seen "rc=$rc, store at $rst: $(grep -E 'va=0x45000000|unseen' "$TMP/remap.trace" | head -n3)"
fi
expect record-bad-access 2 "access some: expected store, fetch, all or off" "$FM" record \
	--access some -- "$Q10" "${MIN[@]}"

# Ctrl-C at once: as soon as QEMU is started, before the guest has run.
"$FM" record --quiet -- "$Q10" "${MIN[@]}" -smp 2 -kernel "$BUILD/agent.elf" \
	-append "fixmap.iters=0" >"$TMP/early.out" 2>&1 &
rpid=$!
n=0
while ! pgrep -P $rpid >/dev/null && [ $n -lt 600 ]; do
	n=$((n + 1))
	sleep 0.01
done
kill -INT $rpid
wait $rpid
rc=$?
# Clean: the summary of what was recorded (maybe nothing), exit 0 or 1, not a signal.
if { [ $rc = 0 ] || [ $rc = 1 ]; } && grep -q '^[0-9]* events, ' "$TMP/early.out"; then
	pass sigint-at-once
else
	fail sigint-at-once "rc=$rc $(tail -n3 "$TMP/early.out")"
fi
leftover=$(ls /dev/shm/fixmap-record-"$(id -u)"-* 2>/dev/null | grep -c "record-$(id -u)-$rpid$")
[ "$leftover" = 0 ] && pass no-leftover-ram-file || fail no-leftover-ram-file
finish
