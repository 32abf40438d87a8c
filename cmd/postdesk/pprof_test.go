package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var pprofListening = regexp.MustCompile(`msg="pprof listening" addr=(\S+)`)

// serve --pprof ADDR serves Go's profiler there, and nowhere else: not on the web inbox's port.
func TestServePprof(t *testing.T) {
	t.Parallel()
	dsn := filepath.Join(t.TempDir(), "p.db")
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan int)
	env := func(string) string { return "" }
	args := []string{"serve", "--db", dsn, "--smtp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--pprof", "127.0.0.1:0", "--domain", "desk.example", "--data-dir", t.TempDir()}
	go func() { done <- run(ctx, args, &bytes.Buffer{}, logs, env) }()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, logs.String())
		}
	}()
	var prof, web string
	for deadline := time.Now().Add(10 * time.Second); (prof == "" || web == "") && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := pprofListening.FindStringSubmatch(logs.String()); m != nil {
			prof = m[1]
		}
		if m := httpListening.FindStringSubmatch(logs.String()); m != nil {
			web = m[1]
		}
	}
	if prof == "" || web == "" {
		t.Fatalf("serve did not say where pprof and HTTP listen:\n%s", logs.String())
	}
	get := func(url string) (int, string) {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("http://" + prof + "/debug/pprof/heap?debug=1"); code != 200 || !strings.Contains(body, "heap profile") {
		t.Errorf("heap profile: %d %.200s", code, body)
	}
	if code, body := get("http://" + prof + "/debug/pprof/goroutine?debug=1"); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Errorf("goroutine profile: %d %.200s", code, body)
	}
	if code, _ := get("http://" + prof + "/debug/pprof/cmdline"); code == 200 {
		t.Errorf("pprof serves the command line (it may hold a database password)")
	}
	if code, _ := get("http://" + web + "/debug/pprof/heap?debug=1"); code == 200 {
		t.Errorf("the web inbox's port serves pprof")
	}
}
