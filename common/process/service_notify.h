// Tells systemd (Type=notify units) how the daemon is doing, through
// libsystemd's sd_notify; a no-op when not started by systemd
// (NOTIFY_SOCKET unset).
#pragma once

namespace dbdump {

// Serving: systemd's start job ends here.
void NotifyReady();
// A reload (SIGHUP) started; NotifyReady() when it is done.
void NotifyReloading();
void NotifyStopping();

}  // namespace dbdump
