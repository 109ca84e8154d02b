// How dbdumpctl prints an answer, chosen by the global --output flag.
#pragma once

namespace dbdump {

enum class OutputFormat { kTable, kJson };

}  // namespace dbdump
