// goapp: a Go program with known costs, scraped by the integration tests
// through net/http/pprof. hotA burns three times the CPU of hotB; alloc
// allocates a fixed number of bytes per second (GET /allocated tells how
// many so far); contend fights over a mutex; waiters park goroutines on
// channels. With -tls-cert/-tls-key it serves HTTPS, and with -token-file
// it answers 401 unless the request carries "Authorization: Bearer <the
// file's content>", the file being read at every request (so a test can
// rotate it), as kube-apiserver guards /debug/pprof. Standard library only.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
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

var allocated atomic.Int64

//go:noinline
func allocChunk() {
	sink = make([]byte, 64<<10)
	allocated.Add(64 << 10)
}

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

// guard answers 401 unless the bearer token matches the token file.
func guard(tokenFile string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want, err := os.ReadFile(tokenFile)
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if err != nil || got != strings.TrimSpace(string(want)) || got == "" {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func main() {
	addr := flag.String("listen", "127.0.0.1:6060", "address")
	rate := flag.Int("alloc-rate", 32<<20, "bytes allocated per second")
	memRate := flag.Int("mem-profile-rate", 0, "runtime.MemProfileRate (0: Go's default)")
	cert := flag.String("tls-cert", "", "serve HTTPS with this certificate")
	key := flag.String("tls-key", "", "and this key")
	tokenFile := flag.String("token-file", "", "require this bearer token")
	flag.Parse()
	if *memRate > 0 {
		runtime.MemProfileRate = *memRate
	}
	http.HandleFunc("/allocated", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d\n", allocated.Load())
	})
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)
	go burn()
	go alloc(*rate)
	contend()
	for i := 0; i < 25; i++ {
		go waitForever(make(chan int))
	}
	var h http.Handler = http.DefaultServeMux
	if *tokenFile != "" {
		h = guard(*tokenFile, h)
	}
	if *cert != "" {
		log.Fatal(http.ListenAndServeTLS(*addr, *cert, *key, h))
	}
	log.Fatal(http.ListenAndServe(*addr, h))
}
