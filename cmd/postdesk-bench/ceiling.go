package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ceilingFlag is --ceiling: alone, the benchmark starts Postfix's smtp-sink of its own on a free
// loopback port; --ceiling=ADDR uses one already listening there. The same corpus is sent to the
// sink before and after postdesk, so postdesk's rate is printed as a share of what the machine
// (client, loopback and SMTP at their cheapest) manages in the same run: a ratio that holds when
// other work shares the cores, where a bare msg/s does not.
type ceilingFlag struct {
	set  bool
	addr string // "" with set: start our own
}

func (c *ceilingFlag) String() string {
	if c == nil || !c.set {
		return ""
	}
	if c.addr == "" {
		return "true"
	}
	return c.addr
}

func (c *ceilingFlag) Set(v string) error {
	switch v {
	case "true", "":
		c.set, c.addr = true, ""
	case "false":
		c.set, c.addr = false, ""
	default:
		if _, _, err := net.SplitHostPort(v); err != nil {
			return fmt.Errorf("--ceiling: %q is not HOST:PORT", v)
		}
		c.set, c.addr = true, v
	}
	return nil
}

func (*ceilingFlag) IsBoolFlag() bool { return true }

// smtpSinkPaths are where Debian's and other distributions' Postfix put smtp-sink.
var smtpSinkPaths = []string{"/usr/sbin/smtp-sink", "/usr/lib/postfix/sbin/smtp-sink", "/usr/libexec/postfix/smtp-sink"}

// startSMTPSink starts Postfix's smtp-sink on a free loopback port and returns its address and a
// function that stops it.
func startSMTPSink() (string, func(), error) {
	bin, err := exec.LookPath("smtp-sink")
	if err != nil {
		for _, p := range smtpSinkPaths {
			if _, serr := os.Stat(p); serr == nil {
				bin, err = p, nil
				break
			}
		}
	}
	if err != nil {
		return "", nil, fmt.Errorf("--ceiling: smtp-sink not found (install Postfix, or pass --ceiling=ADDR)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	// -4: loopback IPv4; 256 is the listen backlog; -m the concurrency it accepts.
	args := []string{"-4", "-m", "512"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "nobody") // it refuses to run as root otherwise
	}
	cmd := exec.CommandContext(ctx, bin, append(args, addr, "256")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		return "", nil, fmt.Errorf("--ceiling: start smtp-sink: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() { cancel(); <-exited }
	// Ready when it greets.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			line, rerr := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if rerr == nil && strings.HasPrefix(line, "220") {
				return addr, stop, nil
			}
		}
		select {
		case <-exited:
			cancel()
			return "", nil, fmt.Errorf("--ceiling: smtp-sink exited: %s", strings.TrimSpace(stderr.String()))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, errors.New("--ceiling: smtp-sink did not answer in 5s")
		}
	}
}

// ceilingRun sends the corpus to the sink at addr with the same connections and returns its rate.
func ceilingRun(o options, addr string) (float64, error) {
	o.addr = addr
	r, err := bench(o)
	if err != nil {
		return 0, fmt.Errorf("--ceiling: %w", err)
	}
	if r.failures > 0 {
		return 0, fmt.Errorf("--ceiling: %d failures at the sink (first: %v)", r.failures, r.firstErr)
	}
	return float64(len(r.latencies)) / r.elapsed.Seconds(), nil
}

// procSampler follows a process (postdesk serve, by --pid) while the benchmark runs: its peak RSS
// and the CPU time it used.
type procSampler struct {
	pid      int
	stop     chan struct{}
	done     chan struct{}
	mu       sync.Mutex
	peakRSS  int64 // bytes
	cpuStart time.Duration
	cpuEnd   time.Duration
	err      error
}

func startProcSampler(pid int) (*procSampler, error) {
	cpu, err := procCPU(pid)
	if err != nil {
		return nil, fmt.Errorf("--pid %d: %w", pid, err)
	}
	p := &procSampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{}), cpuStart: cpu}
	go func() {
		defer close(p.done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			p.sample()
			select {
			case <-p.stop:
				p.sample()
				cpu, err := procCPU(pid)
				p.mu.Lock()
				p.cpuEnd, p.err = cpu, err
				p.mu.Unlock()
				return
			case <-t.C:
			}
		}
	}()
	return p, nil
}

func (p *procSampler) sample() {
	rss, err := procRSS(p.pid)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.err = err
		return
	}
	p.peakRSS = max(p.peakRSS, rss)
}

// finish stops sampling and prints the peak RSS and the CPU time per accepted message.
func (p *procSampler) finish(w io.Writer, accepted int) {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		fmt.Fprintf(w, "serve (pid %d): %v\n", p.pid, p.err)
		return
	}
	cpu := p.cpuEnd - p.cpuStart
	fmt.Fprintf(w, "serve (pid %d): peak RSS %.1f MB, CPU %s (%.2f ms per accepted message)\n",
		p.pid, float64(p.peakRSS)/1e6, cpu.Round(time.Millisecond), float64(cpu.Microseconds())/1000/float64(max(accepted, 1)))
}

// procRSS reads VmRSS from /proc/PID/status.
func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) < 1 {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// procCPU reads user+system time from /proc/PID/stat (clock ticks of 1/100 s on Linux).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name is in parentheses and may hold spaces: fields count from after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}
