package chaos

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// instance is one 'postdesk serve' process slot: its own SMTP port and data directory, kept
// across restarts (the load keeps sending to the port; while the process is dead the port
// refuses, as a dead MX host does).
type instance struct {
	n        int
	smtp     string
	dir      string
	binary   string
	app      string // its application_name in pg_stat_activity
	env      []string
	args     []string
	runs     int
	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{}
	exitErr  error
	logPaths []string
}

// freePort finds a port the instance can keep across restarts.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func newInstance(n int, cfg Config, relayAddr string) (*instance, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cfg.Dir, fmt.Sprintf("instance-%d", n))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	// Its own application_name: after a kill, the run waits for the database to end its sessions
	// (a COMMIT the instance sent before it died may still be applied) before it looks.
	app := fmt.Sprintf("postdesk-chaos-%d", n)
	sep := "?"
	if strings.Contains(cfg.DSN, "?") {
		sep = "&"
	}
	return &instance{n: n, smtp: addr, dir: dir, binary: cfg.Binary, app: app,
		env: append(cfg.env(), "POSTDESK_DB="+cfg.DSN+sep+"application_name="+app),
		args: []string{"serve", "--smtp", addr, "--http", "127.0.0.1:0", "--domain", "desk.example", "--data-dir", dir,
			"--relay", relayAddr, "--relay-tls", "none"}}, nil
}

// start runs the process and returns once its SMTP server listens.
func (in *instance) start(ctx context.Context) error {
	in.mu.Lock()
	in.runs++
	logPath := filepath.Join(in.dir, fmt.Sprintf("serve-%d.log", in.runs))
	in.logPaths = append(in.logPaths, logPath)
	in.mu.Unlock()
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(in.binary, in.args...)
	cmd.Env = in.env
	pr, pw := io.Pipe()
	cmd.Stdout = logf
	cmd.Stderr = io.MultiWriter(logf, pw)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("chaos: start instance %d: %w", in.n, err)
	}
	done := make(chan struct{})
	in.mu.Lock()
	in.cmd, in.done = cmd, done
	in.mu.Unlock()
	go func() {
		err := cmd.Wait()
		pw.Close()
		logf.Close()
		in.mu.Lock()
		in.exitErr = err
		in.mu.Unlock()
		close(done)
	}()
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		said := false
		for sc.Scan() {
			if !said && strings.Contains(sc.Text(), "msg=listening proto=smtp") {
				said = true
				close(ready)
			}
		}
		io.Copy(io.Discard, pr)
	}()
	t := time.NewTimer(60 * time.Second)
	defer t.Stop()
	select {
	case <-ready:
		return nil
	case <-done:
		return fmt.Errorf("chaos: instance %d exited at start (%v): see %s", in.n, in.exitErr, logPath)
	case <-t.C:
		return fmt.Errorf("chaos: instance %d did not listen within a minute: see %s", in.n, logPath)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (in *instance) pid() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd == nil || in.cmd.Process == nil {
		return 0
	}
	return in.cmd.Process.Pid
}

// kill sends SIGKILL and waits for the process to be gone.
func (in *instance) kill() error {
	in.mu.Lock()
	cmd, done := in.cmd, in.done
	in.mu.Unlock()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("chaos: kill instance %d: %w", in.n, err)
	}
	<-done
	return nil
}

// stop ends the process as systemd would (SIGTERM), and reports whether it exited cleanly.
func (in *instance) stop() error {
	in.mu.Lock()
	cmd, done := in.cmd, in.done
	in.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-done:
		return nil // killed, not restarted
	default:
	}
	cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
		return fmt.Errorf("chaos: instance %d did not stop within 30 s of SIGTERM", in.n)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.exitErr != nil {
		return fmt.Errorf("chaos: instance %d exited with %v", in.n, in.exitErr)
	}
	return nil
}

// cli runs one postdesk command against the database.
func cli(ctx context.Context, cfg Config, extraEnv []string, args ...string) error {
	cmd := exec.CommandContext(ctx, cfg.Binary, args...)
	cmd.Env = append(cfg.env(), extraEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("chaos: postdesk %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}
