// DashboardAssets: the web dashboard's static files (HTML, CSS, ES modules),
// read once at start from their installed directory and served from memory,
// so no request path is ever joined onto a file system path.
//
// Immutable after Load; safe to share between threads.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dbdump {

class DashboardAssets {
 public:
  struct Asset {
    std::string content;
    std::string content_type;
  };
  // Every regular file under `dir` (up to 4 levels, 16 MiB in all).
  // NotFound when `dir` has no index.html.
  static absl::StatusOr<DashboardAssets> Load(const std::string& dir);

  // "/" is "/index.html"; nullptr for anything else not loaded.
  const Asset* Find(absl::string_view path) const;
  size_t size() const { return assets_.size(); }

 private:
  std::map<std::string, Asset, std::less<>> assets_;
};

// Where the dashboard is when --dashboard_dir is not given: installed beside
// the binary (<bin>/../share/dbdump/dashboard), else the source tree's copy
// (a build tree run). Empty when neither exists.
std::string DefaultDashboardDir();

}  // namespace dbdump
