#include <execinfo.h>
#include <signal.h>
#include <unistd.h>
static void on_signal(int s) { void *b[96]; int n = backtrace(b, 96); backtrace_symbols_fd(b, n, 2); _exit(128 + s); }
__attribute__((constructor)) static void install(void) { signal(SIGSEGV, on_signal); signal(SIGABRT, on_signal); }
