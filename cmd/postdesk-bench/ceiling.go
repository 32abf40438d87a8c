package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ceilingFlag is --ceiling: alone, the benchmark starts Postfix's smtp-sink of its own on a free
// loopback port; --ceiling=ADDR uses one already listening there. Mail of the same shape is sent
// to the sink in turns with postdesk (interleaved), so postdesk's rate is printed as a share of
// what the machine (client, loopback and SMTP at their cheapest) manages in the same run: a ratio
// that holds when other work shares the cores, where a bare msg/s does not.
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

// interleaved sends postdesk's messages in o.rounds slices, each after a turn of the sink at
// sinkAddr (a corpus of its own, of the same shape and the slice's size), and one more turn of the
// sink at the end: the sink's rate is sampled across the whole run, so a neighbour's load that
// comes and goes weighs on both alike. It returns postdesk's result (its slices added up) and the
// sink's rate at each turn.
func interleaved(o options, sinkAddr string, msgs, ids []string) (result, []float64, error) {
	rounds := max(1, min(o.rounds, len(msgs)))
	so := o
	so.n = max(o.conns, len(msgs)/rounds)
	sinkMsgs, sinkIDs := corpus(so)
	turn := func() (float64, error) {
		r := bench(o, sinkAddr, sinkMsgs, sinkIDs)
		if r.failures > 0 || len(r.latencies) == 0 {
			return 0, fmt.Errorf("--ceiling: %d failures at the sink (first: %v)", r.failures, r.firstErr)
		}
		return float64(len(r.latencies)) / r.elapsed.Seconds(), nil
	}
	total := result{accepted: map[string]time.Time{}}
	var rates []float64
	for k := range rounds {
		rate, err := turn()
		if err != nil {
			return total, nil, err
		}
		rates = append(rates, rate)
		lo, hi := k*len(msgs)/rounds, (k+1)*len(msgs)/rounds
		r := bench(o, o.addr, msgs[lo:hi], ids[lo:hi])
		total.elapsed += r.elapsed
		total.latencies = append(total.latencies, r.latencies...)
		maps.Copy(total.accepted, r.accepted)
		total.failures += r.failures
		if total.firstErr == nil {
			total.firstErr = r.firstErr
		}
	}
	rate, err := turn()
	if err != nil {
		return total, nil, err
	}
	return total, append(rates, rate), nil
}

// printCeiling prints the sink's turns and postdesk's share of their mean.
func printCeiling(w io.Writer, addr string, r result, rates []float64) {
	var sum float64
	parts := make([]string, len(rates))
	for i, v := range rates {
		sum += v
		parts[i] = fmt.Sprintf("%.0f", v)
	}
	mean := sum / float64(len(rates))
	rate := float64(len(r.latencies)) / r.elapsed.Seconds()
	fmt.Fprintf(w, "smtp-sink at %s, same kind of mail and connections, %d turns between postdesk's slices: %s messages/s (mean %.0f)\n", addr, len(rates), strings.Join(parts, " "), mean)
	fmt.Fprintf(w, "postdesk's share of smtp-sink: %.3f (%.0f / %.0f messages/s)\n", rate/mean, rate, mean)
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
