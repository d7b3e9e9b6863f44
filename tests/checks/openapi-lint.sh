#!/usr/bin/env bash
# Part of `make test`: openapi.yaml passes Redocly's recommended rules.
exec bash "$(dirname "$0")/../../scripts/lint-openapi.sh"
