package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"runtime/debug"
	"slices"
	"strings"
)

// Help is read from the commands themselves, so it lists what exists and nothing else: a group's
// actions are the keys its sub call dispatches on, an action's flags the ones it defines. To learn
// them, the command runs in a probing cli, on "-h", with a context already ended (so nothing it
// could reach is opened): sub reports its actions instead of dispatching, flags reports each flag
// set an action makes, and the parse stops at -h.

// probe collects what a command defines when run to be described.
type probe struct {
	verbs []string        // a group's actions, when the command is a group
	sets  []*flag.FlagSet // the flag sets the command made
}

// probing returns a cli that describes instead of running, and what it finds.
func (c *cli) probing() (*cli, *probe) {
	p := &probe{}
	return &cli{stdout: io.Discard, stderr: io.Discard, env: c.env, now: c.now, probe: p}, p
}

// helpArg reports whether arg asks for help.
func helpArg(arg string) bool { return arg == "-h" || arg == "--help" || arg == "help" }

// describe runs f to learn what it defines.
func (c *cli) describe(f func(context.Context, *cli, []string) error, args ...string) *probe {
	pc, p := c.probing()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = f(ctx, pc, append(args, "-h"))
	return p
}

// groupHelp prints the actions of group noun, each with its flags, to w.
func (c *cli) groupHelp(w io.Writer, noun string, verbs map[string]func(context.Context, *cli, []string) error) {
	fmt.Fprintf(w, "usage: postdesk %s ACTION [flags]\n\nactions:\n", noun)
	for _, v := range slices.Sorted(maps.Keys(verbs)) {
		fmt.Fprintf(w, "  %s %s\n", noun, v)
		for _, fs := range c.describe(verbs[v]).sets {
			printFlags(w, fs)
		}
	}
	fmt.Fprintf(w, "\nEvery action also takes --db DSN (or POSTDESK_DB), --data-dir and --config FILE.\n")
}

// commonFlags are the settings every command takes; the help says so once.
var commonFlags = map[string]bool{"config": true, "db": true, "data-dir": true}

// printFlags lists fs's own flags, indented under their action.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		if commonFlags[f.Name] {
			return
		}
		kind, usage := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if kind != "" {
			name += " " + kind
		}
		def := ""
		switch f.DefValue {
		case "", "0", "false", "0s", "[]":
		default:
			if strings.Contains(usage, "(default") {
				break
			}
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "      %-24s %s%s\n", name, usage, def)
	})
}

// usage prints the commands, and each group's actions, to c.stderr.
func (c *cli) usage() {
	fmt.Fprintln(c.stderr, "usage: postdesk COMMAND [flags]\n\ncommands:")
	for _, cmd := range commands() {
		about := cmd.usage
		if p := c.describe(cmd.run); len(p.verbs) > 0 {
			about = strings.Join(p.verbs, " | ") + ": " + about
		}
		fmt.Fprintf(c.stderr, "  %-11s %s\n", cmd.name, about)
	}
	fmt.Fprintln(c.stderr, "\nEvery command takes --db DSN (or POSTDESK_DB) and --config FILE; 'postdesk COMMAND -h' lists its actions and flags.")
}

// version prints what the binary was built from.
func version(_ context.Context, c *cli, args []string) error {
	fs := c.flags("version")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if err := noArgs(fs.Args()); err != nil {
		return err
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return errors.New("this binary carries no build information")
	}
	fmt.Fprint(c.stdout, versionText(info))
	return nil
}

// versionText is the version lines of info: the module's version, the commit and whether the tree
// had changes, the Go version.
func versionText(info *debug.BuildInfo) string {
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "postdesk %s\n", v)
	if info.Main.Path != "" {
		fmt.Fprintf(&b, "module: %s\n", info.Main.Path)
	}
	if rev := settings["vcs.revision"]; rev != "" {
		if settings["vcs.modified"] == "true" {
			rev += " (modified)"
		}
		fmt.Fprintf(&b, "commit: %s\n", rev)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(&b, "commit time: %s\n", t)
		}
	} else {
		fmt.Fprintln(&b, "commit: unknown (built without version control information)")
	}
	fmt.Fprintf(&b, "go: %s\n", info.GoVersion)
	return b.String()
}
