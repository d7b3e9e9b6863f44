#!/usr/bin/env bash
# Part of `make test`: the module dependency rule (scripts/check-layers.sh).
exec bash "$(dirname "$0")/../../scripts/check-layers.sh"
