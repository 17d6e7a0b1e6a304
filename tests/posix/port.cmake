# port.cmake — ports a program written for the kernel's sockets to synack
# the way a person would with synack/posix.h: the prefix synack_ before each
# socket call, nothing else. cmake -DIN=prog.c -DOUT=synack_prog.c -P port.cmake
# (The header comes in with the compiler's -include synack/posix.h, so the
# source differs from the original by the prefix only.)
file(READ ${IN} text)
string(REGEX REPLACE
  "(^|[^A-Za-z0-9_])(socket|bind|listen|accept|accept4|connect|read|write|send|recv|shutdown|close|getsockname|getpeername|setsockopt|getsockopt|fcntl|poll)\\("
  "\\1synack_\\2(" text "${text}")
file(WRITE ${OUT} "${text}")
