// goapp: a Go program with known costs, scraped by the integration tests
// through net/http/pprof. hotA burns three times the CPU of hotB; alloc
// allocates a fixed number of bytes per second; contend fights over a
// mutex; waiters park goroutines on channels. Standard library only.
package main

import (
	"flag"
	"log"
	"net/http"
	_ "net/http/pprof"
	"runtime"
	"sync"
	"time"
)

var sink []byte
var total uint64

//go:noinline
func spin(n int) uint64 {
	var x uint64 = 1
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

//go:noinline
func hotA() { total += spin(3 * 200000) }

//go:noinline
func hotB() { total += spin(200000) }

func burn() {
	for {
		hotA()
		hotB()
	}
}

//go:noinline
func allocChunk() { sink = make([]byte, 64<<10) }

// alloc allocates about rate bytes per second, in 64 KiB chunks.
func alloc(rate int) {
	per := rate / (64 << 10) / 100
	if per < 1 {
		per = 1
	}
	for range time.Tick(10 * time.Millisecond) {
		for i := 0; i < per; i++ {
			allocChunk()
		}
	}
}

//go:noinline
func holdLock(mu *sync.Mutex) {
	mu.Lock()
	time.Sleep(2 * time.Millisecond)
	mu.Unlock()
}

func contend() {
	var mu sync.Mutex
	for i := 0; i < 4; i++ {
		go func() {
			for {
				holdLock(&mu)
			}
		}()
	}
}

//go:noinline
func waitForever(ch chan int) { <-ch }

func main() {
	addr := flag.String("listen", "127.0.0.1:6060", "address")
	rate := flag.Int("alloc-rate", 32<<20, "bytes allocated per second")
	flag.Parse()
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)
	go burn()
	go alloc(*rate)
	contend()
	for i := 0; i < 25; i++ {
		go waitForever(make(chan int))
	}
	log.Fatal(http.ListenAndServe(*addr, nil))
}
