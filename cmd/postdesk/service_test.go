package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/config"
)

// contrib/postdesk.service runs serve as its own user, with its state directory, a read-only
// system, no new privileges, only the capability to bind port 25, readiness and the watchdog by
// sd_notify, and restarts on failure; the socket folder it may write is the one tmpfiles makes.
func TestServiceFile(t *testing.T) {
	t.Parallel()
	unit, err := os.ReadFile("../../contrib/postdesk.service")
	if err != nil {
		t.Fatal(err)
	}
	set := map[string][]string{}
	for _, line := range strings.Split(string(unit), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(line, "#") {
			set[k] = append(set[k], v)
		}
	}
	for k, want := range map[string]string{
		"Type": "notify", "User": "postdesk", "StateDirectory": "postdesk", "ProtectSystem": "strict",
		"NoNewPrivileges": "yes", "AmbientCapabilities": "CAP_NET_BIND_SERVICE", "CapabilityBoundingSet": "CAP_NET_BIND_SERVICE",
		"Restart": "on-failure", "WatchdogSec": "60s", "ExecStart": "/usr/local/bin/postdesk serve",
		"Environment": "POSTDESK_DATA_DIR=/var/lib/postdesk", "ReadWritePaths": "-/var/spool/postfix/postdesk",
	} {
		if got := set[k]; len(got) != 1 || got[0] != want {
			t.Errorf("%s=%q, want %q", k, got, want)
		}
	}
	tmpfiles, err := os.ReadFile("../../contrib/postdesk.tmpfiles")
	if err != nil || !strings.Contains(string(tmpfiles), "\nd /var/spool/postfix/postdesk 0750 postdesk postfix -\n") {
		t.Errorf("postdesk.tmpfiles does not make the socket folder the unit may write: %v\n%s", err, tmpfiles)
	}
	if config.DefaultFile != "/etc/postdesk/postdesk.toml" || !strings.Contains(string(unit), config.DefaultFile) {
		t.Errorf("the unit's comments do not name the default config file %s", config.DefaultFile)
	}
	// systemd's own reading of the unit, where systemd is installed: no unknown key, no bad value.
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze is not installed: the unit is checked by the keys above only")
		return
	}
	copyPath := filepath.Join(t.TempDir(), "postdesk.service")
	// verify wants ExecStart's binary to exist.
	os.WriteFile(copyPath, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/postdesk serve", "/bin/true serve")), 0o644)
	out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput()
	var problems []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// Outside a booted systemd (containers, CI), verify says so; that is no finding.
		if l != "" && !strings.Contains(l, "has not been booted with systemd") && !strings.Contains(l, "Failed to connect to bus") {
			problems = append(problems, l)
		}
	}
	if err != nil || len(problems) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, strings.Join(problems, "\n"))
	}
}
