#!/bin/bash
# scale_file: tests/kernel/scale.sh with the 100,000 networks in a
# networks_file (plain CIDR lines) instead of a libconfig list: the same
# table is programmed, the same sources pass and the same gap is dropped.
SCALE_NETFILE=1
. "$(dirname "$0")/scale.sh"
