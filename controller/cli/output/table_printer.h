// Prints rows as left-aligned columns under a header row, two spaces apart,
// sized to the widest cell of each column. Empty cells print as "-" so every
// row has the same number of words for awk. Not thread-safe.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dbdump {

class TablePrinter {
 public:
  explicit TablePrinter(std::vector<std::string> header);

  // Adds one row; missing trailing cells print as "-", surplus ones are
  // dropped, line breaks and tabs inside a cell become spaces.
  void AddRow(std::vector<std::string> cells);
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace dbdump
