#include "controller/gateway/dashboard_assets.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace dbdump {
namespace {

constexpr size_t kMaxTotalBytes = 16 << 20;

std::string ContentType(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json" || ext == ".webmanifest") return "application/json";
  return "application/octet-stream";
}

}  // namespace

absl::StatusOr<DashboardAssets> DashboardAssets::Load(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(dir) / "index.html", ec)) {
    return absl::NotFoundError(absl::StrCat("no dashboard in ", dir, " (index.html is missing)"));
  }
  DashboardAssets assets;
  size_t total = 0;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (it.depth() > 3) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    std::string name = fs::relative(it->path(), dir, ec).generic_string();
    if (ec || name.empty() || name[0] == '.') continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in.good() && !in.eof()) {
      return absl::FailedPreconditionError(absl::StrCat("cannot read ", it->path().string()));
    }
    total += content.str().size();
    if (total > kMaxTotalBytes) {
      return absl::FailedPreconditionError(
          absl::StrCat("the dashboard in ", dir, " is larger than 16 MiB"));
    }
    assets.assets_[absl::StrCat("/", name)] = Asset{content.str(), ContentType(it->path())};
  }
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read ", dir, ": ", ec.message()));
  }
  return assets;
}

const DashboardAssets::Asset* DashboardAssets::Find(absl::string_view path) const {
  if (path == "/") path = "/index.html";
  auto it = assets_.find(path);
  return it == assets_.end() ? nullptr : &it->second;
}

std::string DefaultDashboardDir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "dbdump" / "dashboard";
    if (fs::is_regular_file(installed / "index.html", ec)) return installed.string();
  }
#ifdef DBDUMP_SOURCE_DASHBOARD_DIR
  if (fs::is_regular_file(fs::path(DBDUMP_SOURCE_DASHBOARD_DIR) / "index.html", ec)) {
    return DBDUMP_SOURCE_DASHBOARD_DIR;
  }
#endif
  return "";
}

}  // namespace dbdump
