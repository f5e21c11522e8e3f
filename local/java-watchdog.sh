#!/bin/sh
# Runs java with the given arguments and stops it when the process named by WATCH_PID ends,
# so DynamoDB Local never outlives a crashed Node process.
java "$@" &
child=$!
trap 'kill "$child" 2>/dev/null; wait "$child"; exit 0' TERM INT HUP
while kill -0 "$WATCH_PID" 2>/dev/null && kill -0 "$child" 2>/dev/null; do
  sleep 1
done
kill "$child" 2>/dev/null
wait "$child"
