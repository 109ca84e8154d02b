// How the daemons take SIGINT/SIGTERM: on one thread, synchronously.
#pragma once

namespace dbdump {

// Call first thing in main(), before any thread starts: blocks SIGINT and
// SIGTERM (and SIGHUP) in every thread (WaitForTerminationSignal takes them) and ignores
// SIGPIPE (writing to a child that died is an error, not our end).
void BlockTerminationSignals();
// Waits for SIGINT or SIGTERM; returns its number.
int WaitForTerminationSignal();
// Waits for SIGINT, SIGTERM or SIGHUP (blocked too, so that a reload never
// kills the daemon); returns its number.
int WaitForSignal();

}  // namespace dbdump
