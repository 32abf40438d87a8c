// Package config reads postdesk's settings: built-in defaults, then an optional TOML file, then
// POSTDESK_* environment variables, then command-line flags, each overriding the one before.
// With nothing set, postdesk runs: data in ./postdesk-data, SQLite, SMTP on 127.0.0.1:2525.
package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/postdesk/postdesk/dialguard"
)

// Config is every setting. The toml tag names the key in the file; the environment variable is
// POSTDESK_ and the key in upper case; the flag is -- and the key with '-' for '_'.
type Config struct {
	DataDir         string        `toml:"data_dir" help:"folder for the SQLite database and outgoing mail files"`
	DB              string        `toml:"db" help:"database: a postgres:// URL or a SQLite file path (default DATA_DIR/postdesk.db)"`
	Domain          string        `toml:"domain" help:"mail domain of the forwarding addresses (<slug>@DOMAIN)"`
	SMTP            string        `toml:"smtp" help:"SMTP listen address (host:port), empty to disable"`
	LMTP            string        `toml:"lmtp" help:"LMTP listen address (host:port or unix socket path), empty to disable"`
	LMTPSocketMode  string        `toml:"lmtp_socket_mode" help:"permissions of the LMTP unix socket, in octal"`
	LMTPSocketGroup string        `toml:"lmtp_socket_group" help:"group of the LMTP unix socket (Postfix's lmtp client runs as postfix); empty: the process's group"`
	HTTP            string        `toml:"http" help:"HTTP listen address (host:port): the web inbox at /, the API at /api/v1, /healthz, /metrics; empty to disable"`
	WebURL          string        `toml:"web_url" help:"the web inbox's address as agents reach it (sign-in links point there; default http://HTTP/)"`
	WebTLS          bool          `toml:"web_tls" help:"the web inbox is reached over HTTPS (behind a TLS proxy): its cookies are Secure"`
	TrustedProxies  string        `toml:"trusted_proxies" help:"reverse proxies in front of the HTTP listener (addresses or CIDR ranges, comma-separated): a request from one of them is counted by the client X-Forwarded-For names (the form's and sign-in's rate limits); empty: by the connection's address"`
	MaxMessageBytes int64         `toml:"max_message_bytes" help:"largest message accepted, in bytes"`
	TLSCert         string        `toml:"tls_cert" help:"PEM certificate file for STARTTLS"`
	TLSKey          string        `toml:"tls_key" help:"PEM key file for STARTTLS"`
	LogLevel        string        `toml:"log_level" help:"debug, info, warn or error"`
	LogFormat       string        `toml:"log_format" help:"text or json"`
	ShutdownTimeout time.Duration `toml:"shutdown_timeout" help:"how long to let sessions in progress finish on shutdown"`
	MetricsToken    string        `toml:"metrics_token" help:"bearer token /metrics requires (Authorization: Bearer TOKEN); empty: /metrics is open"`

	Relay            string `toml:"relay" help:"SMTP relay for outgoing mail (host:port); empty: write .eml files to DATA_DIR/outbox"`
	RelayTLS         string `toml:"relay_tls" help:"relay TLS: none, starttls or implicit"`
	RelayUser        string `toml:"relay_user" help:"relay AUTH user name"`
	RelayPasswordEnv string `toml:"relay_password_env" help:"name of the environment variable holding the relay password"`
	RelayCAFile      string `toml:"relay_ca_file" help:"PEM file of the CA certificates to trust for the relay's TLS certificate (default: the system's)"`
	RelayTLSInsecure bool   `toml:"relay_tls_insecure" help:"accept any relay certificate (a self-signed relay on a trusted network only)"`
	RelayAuth        string `toml:"relay_auth" help:"relay AUTH: password (relay_user and relay_password_env) or oauth2 (relay_user signed in with relay_oauth_provider: postdesk relay signin)"`
	RelayOAuth       string `toml:"relay_oauth_provider" help:"with relay_auth = oauth2: google or microsoft"`
	OutboxWorkers    int64  `toml:"outbox_workers" help:"concurrent deliveries to the relay"`
	Templates        string `toml:"templates" help:"folder of template overrides (<locale>/<kind>.{subject,text,html}.tmpl)"`
	AutoPerHour      int64  `toml:"auto_per_hour" help:"most automatic mails to one customer address per hour (loop breaker)"`
	CommandsDKIM     bool   `toml:"commands_dkim" help:"run #commands in agents' mail only with a passing DKIM signature aligned with From"`

	DeliveryTimeout time.Duration `toml:"delivery_timeout" help:"how long storing one message may take before SMTP/LMTP answers 451 (the sender retries)"`
	Postmaster      string        `toml:"postmaster" help:"property (slug) that receives mail to postmaster@DOMAIN as tickets; empty: it is kept and forwarded to the admins"`
	LoopMax         int64         `toml:"loop_max" help:"mails one address may send on one ticket within loop_window before its mail there is held as a suspected loop (0: 10)"`
	LoopWindow      time.Duration `toml:"loop_window" help:"the window of loop_max (0: 10m)"`
	// AdminMailboxHosts: what the web's admin pages may connect a mailbox to besides public
	// addresses (dialguard.Parse).
	AdminMailboxHosts string `toml:"admin_mailbox_hosts" help:"hosts, addresses and CIDR prefixes (comma-separated) a mailbox added from the web's admin pages may connect to besides public addresses; empty: public addresses only"`
	Pprof             string `toml:"pprof" help:"address (host:port) serving Go's profiler at /debug/pprof/, for taking a profile under load; empty (the default) to disable — keep it on loopback"`

	// OAuth holds the apps registered with Google and Microsoft (see oauth.go).
	OAuth OAuth `toml:"oauth"`

	// File is the configuration file that was read ("" when none was), for the start log.
	File string `toml:"-"`
}

// Defaults is the zero-configuration setup.
func Defaults() Config {
	return Config{
		DataDir:         "postdesk-data",
		Domain:          "localhost",
		SMTP:            "127.0.0.1:2525",
		HTTP:            "127.0.0.1:8080",
		LMTPSocketMode:  "0660",
		LMTPSocketGroup: DefaultSocketGroup,
		MaxMessageBytes: 25 << 20,
		LogLevel:        "info",
		LogFormat:       "text",
		ShutdownTimeout: 30 * time.Second,
		RelayTLS:        "starttls",
		OutboxWorkers:   8,
		AutoPerHour:     10,
		DeliveryTimeout: 30 * time.Second,
		OAuth:           defaultOAuth(),
	}
}

// DefaultSocketGroup is the group the LMTP socket is given by default: Postfix's lmtp client runs
// as the user postfix, of the group postfix.
const DefaultSocketGroup = "postfix"

// EnvPrefix starts every environment variable postdesk reads.
const EnvPrefix = "POSTDESK_"

// DefaultFile is the configuration file read when neither --config nor POSTDESK_CONFIG names one,
// if it exists (the service's; see contrib/postdesk.service).
const DefaultFile = "/etc/postdesk/postdesk.toml"

// Load builds the configuration for a command whose flags are fs: defaults, the file named by
// --config or POSTDESK_CONFIG (else DefaultFile when it exists), the environment, then the flags
// in args. Only the keys named in keys get flags (every key when keys is empty), so each
// subcommand offers only what it uses. It returns the remaining positional arguments.
func Load(fs *flag.FlagSet, args []string, env func(string) string, keys ...string) (*Config, []string, error) {
	return LoadDefault(fs, args, env, DefaultFile, keys...)
}

// LoadDefault is Load with defaultFile in place of DefaultFile ("" reads no file unless named).
func LoadDefault(fs *flag.FlagSet, args []string, env func(string) string, defaultFile string, keys ...string) (*Config, []string, error) {
	c := Defaults()
	file := env(EnvPrefix + "CONFIG")
	if f := findFlag(args, "config"); f != "" {
		file = f
	}
	shown := file // the flag's default in -h: the file named, not the one found
	if file == "" && defaultFile != "" {
		if _, err := os.Stat(defaultFile); err == nil {
			file = defaultFile
		}
	}
	c.File = file
	if file != "" {
		md, err := toml.DecodeFile(file, &c)
		if err != nil {
			return nil, nil, fmt.Errorf("config: %s: %w", file, err)
		}
		if un := md.Undecoded(); len(un) > 0 {
			return nil, nil, fmt.Errorf("config: %s: unknown key %q", file, un[0].String())
		}
	}
	if err := c.fromEnv(env); err != nil {
		return nil, nil, err
	}
	fs.String("config", shown, "TOML configuration file (also POSTDESK_CONFIG; default "+DefaultFile+" when it exists)")
	c.bindFlags(fs, keys)
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if c.DB == "" {
		c.DB = filepath.Join(c.DataDir, "postdesk.db")
	}
	return &c, rest, c.validate()
}

func (c *Config) validate() error {
	if c.MaxMessageBytes <= 0 {
		return errors.New("config: max_message_bytes must be positive")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("config: tls_cert and tls_key go together")
	}
	if c.Domain == "" || strings.ContainsAny(c.Domain, "@ /") {
		return fmt.Errorf("config: domain %q is not a domain name", c.Domain)
	}
	c.Domain = strings.ToLower(c.Domain)
	switch c.RelayTLS {
	case "none", "starttls", "implicit":
	default:
		return fmt.Errorf("config: relay_tls %q: none, starttls or implicit", c.RelayTLS)
	}
	if c.OutboxWorkers < 1 || c.AutoPerHour < 1 {
		return errors.New("config: outbox_workers and auto_per_hour must be positive")
	}
	if c.DeliveryTimeout <= 0 || c.LoopMax < 0 || c.LoopWindow < 0 {
		return errors.New("config: delivery_timeout must be positive, loop_max and loop_window not negative")
	}
	if c.RelayCAFile != "" && c.RelayTLSInsecure {
		return errors.New("config: relay_ca_file and relay_tls_insecure exclude each other")
	}
	if _, err := c.SocketMode(); err != nil {
		return err
	}
	if _, err := dialguard.Parse(c.AdminMailboxHosts); err != nil {
		return fmt.Errorf("config: admin_mailbox_hosts: %w", err)
	}
	return c.validateOAuth()
}

// SocketMode is lmtp_socket_mode as permission bits.
func (c *Config) SocketMode() (os.FileMode, error) {
	m, err := strconv.ParseUint(c.LMTPSocketMode, 8, 32)
	if err != nil || m > 0o777 {
		return 0, fmt.Errorf("config: lmtp_socket_mode %q: permission bits in octal, such as 0660", c.LMTPSocketMode)
	}
	return os.FileMode(m), nil
}

// fields walks the settable fields with their keys; a table's keys are dotted
// ("oauth.google.client_id").
func (c *Config) fields(fn func(key, help string, v reflect.Value)) {
	walkFields(reflect.ValueOf(c).Elem(), "", fn)
}

func walkFields(rv reflect.Value, prefix string, fn func(key, help string, v reflect.Value)) {
	rt := rv.Type()
	for i := range rt.NumField() {
		f := rt.Field(i)
		if f.Tag.Get("toml") == "-" {
			continue
		}
		key := prefix + f.Tag.Get("toml")
		if f.Type.Kind() == reflect.Struct {
			walkFields(rv.Field(i), key+".", fn)
			continue
		}
		fn(key, f.Tag.Get("help"), rv.Field(i))
	}
}

// envName is the variable of a key: POSTDESK_OAUTH_GOOGLE_CLIENT_ID for oauth.google.client_id.
func envName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

func (c *Config) fromEnv(env func(string) string) error {
	var err error
	c.fields(func(key, _ string, v reflect.Value) {
		name := envName(key)
		s := env(name)
		if s == "" || err != nil {
			return
		}
		if e := set(v, s); e != nil {
			err = fmt.Errorf("config: %s: %w", name, e)
		}
	})
	return err
}

func set(v reflect.Value, s string) error {
	switch v.Interface().(type) {
	case string:
		v.SetString(s)
	case time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
	case int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		v.SetInt(n)
	case bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		v.SetBool(b)
	default:
		return fmt.Errorf("unsupported setting type %s", v.Type())
	}
	return nil
}

// value adapts a config field to flag.Value.
type value struct {
	v      reflect.Value
	secret bool // never shown: a DSN may hold a password
}

func (f value) String() string {
	if !f.v.IsValid() || f.secret {
		return ""
	}
	return fmt.Sprint(f.v.Interface())
}
func (f value) Set(s string) error { return set(f.v, s) }
func (f value) IsBoolFlag() bool   { return f.v.Kind() == reflect.Bool }

func (c *Config) bindFlags(fs *flag.FlagSet, keys []string) {
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	c.fields(func(key, help string, v reflect.Value) {
		if len(keys) == 0 || want[key] {
			fs.Var(value{v: v, secret: key == "db" || strings.HasSuffix(key, "client_secret")}, strings.NewReplacer("_", "-", ".", "-").Replace(key), help+" (env "+envName(key)+")")
		}
	})
}

// findFlag returns the value of --name in args, before any parsing.
func findFlag(args []string, name string) string {
	for i, a := range args {
		for _, p := range []string{"-" + name, "--" + name} {
			if a == p && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, p+"="); ok {
				return v
			}
		}
	}
	return ""
}

// parseInterspersed parses flags wherever they stand among positional arguments, so that
// "tickets close 4 --property acme" works as well as "tickets close --property acme 4".
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, nil
		}
		if args[0] == "--" {
			return append(rest, args[1:]...), nil
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}

// ParseArgs parses fs over args with flags allowed anywhere, for commands that take no settings.
func ParseArgs(fs *flag.FlagSet, args []string) ([]string, error) { return parseInterspersed(fs, args) }

// Getenv is os.Getenv, for callers that pass the environment in.
func Getenv(k string) string { return os.Getenv(k) }
