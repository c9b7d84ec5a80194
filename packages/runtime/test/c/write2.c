#include <unistd.h>
int main(void) { return write(2, "moved\n", 6) == 6 ? 0 : 1; }
