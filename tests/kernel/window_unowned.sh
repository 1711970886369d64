#!/bin/bash
# window_unowned: tests/kernel/window.sh with a config that says
# ownership = false, on a kernel without persistence (Debian 12's 6.1): the
# main table is an ordinary table anyone may delete, but the guard table
# is still owned by the running daemon (OWNER alone, gone with it), so a
# deleted main table or `nft flush ruleset` lets 0 forbidden packets
# through, and deleting the guard is refused.  (Unowned too, as before
# Linux 5.12, the guard's re-creation waits for the flush's own commit to
# end: bench/window.sh's noowner rows.)
export SEGMENTD_NO_PERSIST=1 WINDOW_UNOWNED=1
export DELETES=${WINDOW_UNOWNED_DELETES:-20} FLUSHES=${WINDOW_UNOWNED_FLUSHES:-10}
exec bash tests/kernel/window.sh
