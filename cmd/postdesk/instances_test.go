package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/chaos"
	"github.com/postdesk/postdesk/dbtest"
)

// asBinary makes this test binary the postdesk binary when set: the instances the chaos test
// starts are this very program (race-instrumented when the test is), so nothing is built.
const asBinary = "POSTDESK_TEST_AS_BINARY"

func TestMain(m *testing.M) {
	if os.Getenv(asBinary) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// Three 'postdesk serve' processes on one PostgreSQL database, a load spread over their SMTP
// ports, a mailbox polled over IMAP, snoozes ending; every 4 s one instance is killed with SIGKILL
// and restarted. Every message answered 250 is stored once, each mailbox message imported once by
// one poller at a time, no mail is handed to the relay twice, each snooze is woken once, and what
// a killed instance held is taken over within 30 s. The second kill falls between sends (the relay
// held until no mail is at the end of DATA): it leaves no mail uncertain. The others may catch a
// mail at the end of DATA: it is uncertain, never resent, and counted. SQLite serves one instance
// per file by design (TestOneServePerSQLiteFile): this is PostgreSQL's. The longer run is
// 'postdesk-bench chaos'.
func TestSeveralInstancesSurviveSIGKILL(t *testing.T) {
	if os.Getenv(dbtest.EnvPostgres) == "" {
		t.Skip("several instances share a PostgreSQL database (" + dbtest.EnvPostgres + ")")
	}
	var dsn string
	for _, e := range dbtest.Engines() {
		if e.Name == "postgres" {
			dsn = e.DSN(t)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "POSTDESK_") {
			env = append(env, kv)
		}
	}
	dir := t.TempDir()
	logs := &syncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := chaos.Run(ctx, chaos.Config{
		Binary: self, Env: append(env, asBinary+"=1"), DSN: dsn, Dir: dir,
		Instances: 3, Duration: 14 * time.Second, KillEvery: 4 * time.Second, BetweenEvery: 2,
		Rate: 8, IMAPEvery: time.Second, Snoozes: 4, Drain: 45 * time.Second, Log: logs,
	})
	t.Log("\n" + logs.String())
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep.Print(&out)
	t.Log("\n" + out.String())
	if p := rep.Problems(); len(p) > 0 {
		dumpLogs(t, dir)
		t.Fatalf("%d guarantees broken:\n%s", len(p), strings.Join(p, "\n"))
	}
	// The run must have exercised what it claims to: kills, one between sends, one of the
	// mailbox's holder, mail stuck with a killed instance, mail through both ways in.
	between, mailbox, inFlight := 0, 0, 0
	for _, k := range rep.KillLog {
		if k.Between {
			between++
		}
		if k.Mailbox {
			mailbox++
		}
		inFlight += k.Stuck
	}
	// Whether a kill finds mail claimed by the killed instance depends on the moment; the
	// takeover of such mail is proven without chance by mailer/sender's
	// TestAKilledInstancesMailIsTakenOverWithinTheBound, so here it is only reported.
	if inFlight == 0 {
		t.Log("no kill found mail claimed by the killed instance this time: the takeover was not exercised here")
	}
	if rep.Kills < 3 || between == 0 || mailbox == 0 || rep.Accepted < 50 || rep.IMAPAppended < 5 || rep.WokenOnce != 4 || rep.Relayed < rep.Accepted {
		t.Fatalf("the run did not exercise enough: %d kills (%d between sends, %d of the mailbox's holder), %d mails stuck with killed instances, %d accepted, %d by IMAP, %d snoozes woken, %d relayed",
			rep.Kills, between, mailbox, inFlight, rep.Accepted, rep.IMAPAppended, rep.WokenOnce, rep.Relayed)
	}
}

// dumpLogs logs every warning and error of every instance's runs.
func dumpLogs(t *testing.T, dir string) {
	paths, _ := filepath.Glob(filepath.Join(dir, "instance-*", "serve-*.log"))
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		var keep []string
		for _, l := range strings.Split(string(b), "\n") {
			if !strings.Contains(l, "level=INFO") && strings.TrimSpace(l) != "" {
				keep = append(keep, l)
			}
		}
		t.Logf("%s:\n%s", p, strings.Join(keep, "\n"))
	}
}
