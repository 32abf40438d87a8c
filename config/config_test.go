package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func load(t *testing.T, args []string, e map[string]string) (*Config, []string, error) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return LoadDefault(fs, args, env(e), "")
}

func TestZeroConfigurationRuns(t *testing.T) {
	c, rest, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != filepath.Join("postdesk-data", "postdesk.db") || c.SMTP != "127.0.0.1:2525" || c.Domain != "localhost" || c.MaxMessageBytes != 25<<20 || len(rest) != 0 {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestPrecedenceFileThenEnvThenFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "postdesk.toml")
	os.WriteFile(file, []byte("domain = \"file.example\"\nsmtp = \"127.0.0.1:1\"\nlmtp = \"/run/lmtp\"\nshutdown_timeout = \"5s\"\n"), 0o600)
	c, _, err := load(t, []string{"--config", file, "--smtp", "127.0.0.1:3"}, map[string]string{"POSTDESK_SMTP": "127.0.0.1:2", "POSTDESK_DOMAIN": "env.example"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Domain != "env.example" || c.SMTP != "127.0.0.1:3" || c.LMTP != "/run/lmtp" || c.ShutdownTimeout != 5*time.Second {
		t.Fatalf("got %+v", c)
	}
}

func TestFlagsAnywhereAmongArguments(t *testing.T) {
	c, rest, err := load(t, []string{"close", "4", "--domain", "x.example", "5"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Domain != "x.example" || len(rest) != 3 || rest[0] != "close" || rest[2] != "5" {
		t.Fatalf("got %+v %v", c, rest)
	}
}

func TestBadSettingsSayWhat(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(file, []byte("smpt = \"typo\"\n"), 0o600)
	for name, c := range map[string]struct {
		args []string
		env  map[string]string
	}{
		"unknown key in file": {[]string{"--config", file}, nil},
		"missing file":        {[]string{"--config", "/nonexistent/x.toml"}, nil},
		"bad env number":      {nil, map[string]string{"POSTDESK_MAX_MESSAGE_BYTES": "lots"}},
		"bad domain":          {[]string{"--domain", "a@b"}, nil},
		"cert without key":    {[]string{"--tls-cert", "c.pem"}, nil},
		"unknown flag":        {[]string{"--nope"}, nil},
	} {
		if _, _, err := load(t, c.args, c.env); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestHTTPListenAddress(t *testing.T) {
	c, _, err := load(t, nil, nil)
	if err != nil || c.HTTP != "127.0.0.1:8080" {
		t.Fatalf("default http: %q, %v", c.HTTP, err)
	}
	file := filepath.Join(t.TempDir(), "postdesk.toml")
	os.WriteFile(file, []byte("http = \"127.0.0.1:9001\"\n"), 0o600)
	if c, _, _ = load(t, []string{"--config", file}, nil); c.HTTP != "127.0.0.1:9001" {
		t.Fatalf("http from file: %q", c.HTTP)
	}
	if c, _, _ = load(t, []string{"--config", file}, map[string]string{"POSTDESK_HTTP": "127.0.0.1:9002"}); c.HTTP != "127.0.0.1:9002" {
		t.Fatalf("http from env: %q", c.HTTP)
	}
	if c, _, _ = load(t, []string{"--http", ""}, map[string]string{"POSTDESK_HTTP": "127.0.0.1:9002"}); c.HTTP != "" {
		t.Fatalf("--http \"\" should turn the API off, got %q", c.HTTP)
	}
}

func TestDefaultFileIsReadWhenPresent(t *testing.T) {
	dir := t.TempDir()
	def := filepath.Join(dir, "postdesk.toml")
	loadWith := func(defaultFile string, args []string, e map[string]string) *Config {
		t.Helper()
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c, _, err := LoadDefault(fs, args, env(e), defaultFile)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Absent: the defaults, and no file named.
	if c := loadWith(def, nil, nil); c.Domain != "localhost" || c.File != "" {
		t.Fatalf("no default file: domain %q, file %q", c.Domain, c.File)
	}
	os.WriteFile(def, []byte("domain = \"default.example\"\nmetrics_token = \"s3cret\"\n"), 0o600)
	if c := loadWith(def, nil, nil); c.Domain != "default.example" || c.File != def || c.MetricsToken != "s3cret" {
		t.Fatalf("default file present: domain %q, file %q, token %q", c.Domain, c.File, c.MetricsToken)
	}
	// --config or POSTDESK_CONFIG wins: the default file is not read at all.
	other := filepath.Join(dir, "other.toml")
	os.WriteFile(other, []byte("domain = \"other.example\"\n"), 0o600)
	if c := loadWith(def, []string{"--config", other}, nil); c.Domain != "other.example" || c.MetricsToken != "" || c.File != other {
		t.Fatalf("--config: domain %q, token %q, file %q", c.Domain, c.MetricsToken, c.File)
	}
	if c := loadWith(def, nil, map[string]string{"POSTDESK_CONFIG": other}); c.Domain != "other.example" || c.MetricsToken != "" {
		t.Fatalf("POSTDESK_CONFIG: domain %q, token %q", c.Domain, c.MetricsToken)
	}
	if DefaultFile != "/etc/postdesk/postdesk.toml" {
		t.Fatalf("DefaultFile is %q, the service file and the README say /etc/postdesk/postdesk.toml", DefaultFile)
	}
}

func TestLMTPSocketSettings(t *testing.T) {
	c, _, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := c.SocketMode(); err != nil || m != 0o660 || c.LMTPSocketGroup != "postfix" {
		t.Fatalf("defaults: mode %o (%v), group %q", m, err, c.LMTPSocketGroup)
	}
	c, _, err = load(t, []string{"--lmtp-socket-mode", "0666", "--lmtp-socket-group", ""}, nil)
	if m, _ := c.SocketMode(); err != nil || m != 0o666 || c.LMTPSocketGroup != "" {
		t.Fatalf("flags: mode %o, group %q, %v", m, c.LMTPSocketGroup, err)
	}
	for _, bad := range []string{"rw-rw----", "0999", "1777", ""} {
		if _, _, err := load(t, []string{"--lmtp-socket-mode", bad}, nil); err == nil || !strings.Contains(err.Error(), "lmtp_socket_mode") {
			t.Errorf("mode %q: %v", bad, err)
		}
	}
}
