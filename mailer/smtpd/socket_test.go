package smtpd

import (
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// The LMTP socket gets the mode and group asked for, on every start: a restart replaces the
// socket file and sets them again (an MTA of another user stays able to connect).
func TestUnixSocketGetsItsModeAndGroup(t *testing.T) {
	gid := os.Getgid()
	if os.Getuid() == 0 {
		// As root, hand it to a group the process is not in, as for Postfix's.
		for _, name := range []string{"postfix", "nogroup", "daemon"} {
			if g, err := user.LookupGroup(name); err == nil {
				gid, _ = strconv.Atoi(g.Gid)
				break
			}
		}
	}
	sock := filepath.Join(t.TempDir(), "lmtp.sock")
	for round := range 2 {
		ln, err := ListenSocket(sock, SocketPerm{Mode: 0o660, GID: gid})
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(sock)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode().Perm() != 0o660 || int(st.Gid) != gid || fi.Mode()&os.ModeSocket == 0 {
			t.Fatalf("start %d: socket %v group %d, want srw-rw---- group %d", round+1, fi.Mode(), st.Gid, gid)
		}
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatalf("start %d: %v", round+1, err)
		}
		c.Close()
		ln.Close() // Go removes the socket file on close; the next round finds none or a stale one
	}
}

func TestTCPListenIgnoresSocketPerm(t *testing.T) {
	ln, err := ListenSocket("127.0.0.1:0", SocketPerm{Mode: 0o600, GID: -1})
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
}
