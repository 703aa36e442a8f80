#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Debian's tangd for one connection of a guestfwd "cmd:" rule (vmrun.py
# --tang DIR). The rule hands the connection to the command as its standard
# input, output and error: tangd's log line on stderr would reach the
# guest before its (buffered) answer, so it goes to DIR.log instead.
exec /usr/libexec/tangd "$1" 2>>"$1.log"
