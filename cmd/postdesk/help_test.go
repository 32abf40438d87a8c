package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

// Every command group prints its actions, each with its flags, for -h, --help and help (exit 0);
// no action or an unknown one prints the same list as a usage error (exit 2); every action
// answers -h; and the top-level help lists exactly the commands there are, with their actions.
func TestEveryGroupHelps(t *testing.T) {
	t.Parallel()
	dsn := t.TempDir() + "/never-opened.db"
	c := &cli{env: func(string) string { return "" }}
	_, _, top := postdesk(t, dsn, "help")
	groups := 0
	for _, cmd := range commands() {
		p := c.describe(cmd.run)
		line := ""
		for _, l := range strings.Split(top, "\n") {
			if f := strings.Fields(l); len(f) > 0 && f[0] == cmd.name {
				line = l
			}
		}
		if line == "" {
			t.Errorf("the help does not list %s:\n%s", cmd.name, top)
		}
		if len(p.verbs) == 0 {
			if code, _, errs := postdesk(t, dsn, cmd.name, "-h"); code != 0 || !strings.Contains(errs, "Usage of postdesk "+cmd.name) {
				t.Errorf("postdesk %s -h: exit %d: %s", cmd.name, code, errs)
			}
			continue
		}
		groups++
		if !strings.Contains(line, strings.Join(p.verbs, " | ")+":") {
			t.Errorf("the help's line for %s does not list its actions %v: %q", cmd.name, p.verbs, line)
		}
		for _, arg := range []string{"-h", "--help", "help"} {
			code, _, errs := postdesk(t, dsn, cmd.name, arg)
			if code != 0 || strings.Contains(errs, "unknown action") {
				t.Errorf("postdesk %s %s: exit %d: %s", cmd.name, arg, code, errs)
			}
			for _, v := range p.verbs {
				if !strings.Contains(errs, "  "+cmd.name+" "+v+"\n") {
					t.Errorf("postdesk %s %s does not list %q:\n%s", cmd.name, arg, v, errs)
				}
			}
		}
		for _, args := range [][]string{{cmd.name}, {cmd.name, "no-such-action"}} {
			code, _, errs := postdesk(t, dsn, args...)
			if code != 2 || !strings.Contains(errs, "actions:") {
				t.Errorf("postdesk %s: exit %d, want 2 with the actions: %s", strings.Join(args, " "), code, errs)
			}
		}
		for _, v := range p.verbs {
			if code, _, errs := postdesk(t, dsn, cmd.name, v, "-h"); code != 0 || !strings.Contains(errs, "Usage of postdesk "+cmd.name+" "+v) {
				t.Errorf("postdesk %s %s -h: exit %d: %s", cmd.name, v, code, errs)
			}
		}
	}
	if groups < 9 {
		t.Fatalf("only %d command groups found", groups)
	}
	// The top-level help names no command that is not there.
	names := map[string]bool{}
	for _, cmd := range commands() {
		names[cmd.name] = true
	}
	inList := false
	for _, l := range strings.Split(top, "\n") {
		switch {
		case l == "commands:":
			inList = true
		case l == "":
			inList = false
		case inList:
			if f := strings.Fields(l); !names[f[0]] {
				t.Errorf("the help lists %q, which is no command", f[0])
			}
		}
	}
	// A group's help shows the flags of its actions, without the settings every command takes.
	_, _, errs := postdesk(t, dsn, "property", "-h")
	if !strings.Contains(errs, "--slug string") || !strings.Contains(errs, "--reopen-window duration") || strings.Contains(errs, "      --db") {
		t.Errorf("property -h:\n%s", errs)
	}
}

func TestVersionSaysWhatItWasBuiltFrom(t *testing.T) {
	t.Parallel()
	code, out, errs := postdesk(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "postdesk ") || !strings.Contains(out, "go: go1.") {
		t.Fatalf("version: exit %d: %s %s", code, out, errs)
	}
	got := versionText(&debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/postdesk/postdesk", Version: "v0.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "969f550abc"}, {Key: "vcs.modified", Value: "true"}, {Key: "vcs.time", Value: "2026-12-04T03:00:00Z"}}})
	for _, want := range []string{"postdesk v0.4.0\n", "module: github.com/postdesk/postdesk\n", "commit: 969f550abc (modified)\n", "commit time: 2026-12-04T03:00:00Z\n", "go: go1.26.0\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("version text lacks %q:\n%s", want, got)
		}
	}
	if got := versionText(&debug.BuildInfo{GoVersion: "go1.26.0"}); !strings.Contains(got, "postdesk (devel)") || !strings.Contains(got, "commit: unknown") {
		t.Errorf("version of a build without information:\n%s", got)
	}
}

// --format html prints the HTML document alone: it can be saved and opened as it is.
func TestTemplatesRenderHTMLIsTheDocumentAlone(t *testing.T) {
	t.Parallel()
	code, out, errs := postdesk(t, "", "templates", "render", "--format", "html", "acknowledgement")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	out = strings.TrimSpace(out)
	if !strings.HasPrefix(strings.ToLower(out), "<!doctype html") || !strings.HasSuffix(strings.ToLower(out), "</html>") {
		t.Fatalf("--format html printed more than the document:\n%s", out)
	}
	_, text, _ := postdesk(t, "", "templates", "render", "acknowledgement")
	if !strings.HasPrefix(text, "Subject: ") || strings.Contains(strings.ToLower(text), "<html") {
		t.Fatalf("--format text:\n%s", text)
	}
	if code, _, _ := postdesk(t, "", "templates", "render", "--format", "pdf", "acknowledgement"); code != 2 {
		t.Fatalf("--format pdf: exit %d, want 2", code)
	}
}
