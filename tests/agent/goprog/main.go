// A Go program with known functions and inlined calls, for the pclntab
// tests. It prints, for each program counter of one call stack, the frames
// the Go runtime itself gives for it (inlined ones included):
//
//	pc <hex>
//	frame <function>\t<file>\t<line>
//
// then "ready" and waits for a line on stdin (or EOF), so a test can
// symbolize the addresses through /proc/PID/maps while it runs.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
)

var sink int

//go:noinline
func leafWork(n int) []uintptr {
	pcs := make([]uintptr, 64)
	sink += n
	k := runtime.Callers(1, pcs)
	return pcs[:k]
}

// inlinedHelper and midInlined are small enough to be inlined.
func inlinedHelper(n int) []uintptr {
	return leafWork(n + 1)
}

func midInlined(n int) []uintptr {
	return inlinedHelper(n * 2)
}

//go:noinline
func outerFunc(n int) []uintptr {
	return midInlined(n + 3)
}

type shape struct{ w, h int }

//go:noinline
func (s *shape) areaMethod() []uintptr {
	return outerFunc(s.w * s.h)
}

func main() {
	s := &shape{2, 3}
	pcs := func() []uintptr { return s.areaMethod() }()
	for _, pc := range pcs {
		fmt.Printf("pc %x\n", pc)
		frames := runtime.CallersFrames([]uintptr{pc})
		for {
			f, more := frames.Next()
			fmt.Printf("frame %s\t%s\t%d\n", f.Function, f.File, f.Line)
			if !more {
				break
			}
		}
	}
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n')
}
