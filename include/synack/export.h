/*
 * synack/export.h — SYNACK_API, the mark on every function of the public
 * headers. The library is built with hidden visibility by default
 * (-fvisibility=hidden), so libsynack.so exports exactly the functions
 * marked here (all named synack_*) and none of its internals.
 */
#ifndef SYNACK_EXPORT_H
#define SYNACK_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define SYNACK_API __attribute__((visibility("default")))
#else
#define SYNACK_API
#endif

#endif
