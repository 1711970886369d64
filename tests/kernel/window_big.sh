#!/bin/bash
# window_big: tests/kernel/window.sh at 100,000 networks per family
# (WINDOW_NETWORKS), unowned as on a kernel before 6.9: a deleted main
# table is re-created whole there (400k intervals), so the default counts
# are smaller (WINDOW_BIG_DELETES, WINDOW_BIG_FLUSHES); bench/window.sh runs
# the full 50/50/20.
export SEGMENTD_NO_PERSIST=1
export WINDOW_NETWORKS=${WINDOW_NETWORKS:-100000}
export DELETES=${WINDOW_BIG_DELETES:-3} FLUSHES=${WINDOW_BIG_FLUSHES:-3}
export WINDOW_WAIT=${WINDOW_WAIT:-60}
export SD_START_WAIT=${SD_START_WAIT:-120}
exec bash tests/kernel/window.sh
