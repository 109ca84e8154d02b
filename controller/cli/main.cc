// dbdumpctl: the admin command line of dbdump. All logic is in cli.cc.
#include <iostream>

#include "controller/cli/cli.h"

int main(int argc, char** argv) { return dbdump::RunCli(argc, argv, std::cout, std::cerr); }
