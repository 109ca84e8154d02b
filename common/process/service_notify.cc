#include "common/process/service_notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <string>

namespace dbdump {

void NotifyReady() { sd_notify(0, "READY=1\nSTATUS=serving"); }

void NotifyReloading() {
  // MONOTONIC_USEC lets a newer systemd match the reload to its request.
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  std::string msg = "RELOADING=1\nSTATUS=reloading the config file\nMONOTONIC_USEC=" +
                    std::to_string(static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000);
  sd_notify(0, msg.c_str());
}

void NotifyStopping() { sd_notify(0, "STOPPING=1\nSTATUS=stopping"); }

}  // namespace dbdump
