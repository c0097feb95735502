// A cgo program (linked by the external linker): its C functions are not in
// Go's pclntab, so the symbolizer must fall back to the ELF symbol table.
// Prints the address of a C function and of a Go function, "ready", and
// waits for stdin to close.
package main

/*
#include <stdint.h>

__attribute__((noinline)) int c_spin(int n)
{
	int s = 0;
	for (int i = 0; i < n; i++)
		s += i * 3;
	return s;
}

static uintptr_t c_spin_addr(void) { return (uintptr_t)&c_spin; }
*/
import "C"

import (
	"bufio"
	"fmt"
	"os"
	"reflect"
)

//go:noinline
func goWork(n int) int {
	return int(C.c_spin(C.int(n)))
}

func main() {
	fmt.Printf("c %x\ngo %x\nready\n", uintptr(C.c_spin_addr()),
		reflect.ValueOf(goWork).Pointer())
	bufio.NewReader(os.Stdin).ReadString('\n')
	if goWork(3) < 0 {
		os.Exit(1)
	}
}
