// The tools' library sources, compiled into tvk_runtime_tests so their unit tests link.
// Workaround: the root CMakeLists.txt builds src/tools/*.cc only into the `tvk` executable;
// once it has a tvk_tools library (everything but main.cc and cmd_*.cc), delete this file.
#include "tools/case_compare.cc"
#include "tools/case_runner.cc"
#include "tools/cli.cc"
#include "tools/npy.cc"
#include "tools/test_case.cc"
