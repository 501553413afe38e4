"""Known bad: dereferences a null pointer and dies of SIGSEGV."""
import ctypes

ctypes.string_at(0)
