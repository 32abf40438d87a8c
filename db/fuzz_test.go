package db

import (
	"slices"
	"strings"
	"testing"
)

// splitStatements drops comment lines and cuts the rest into statements: what it returns is the
// input's other lines, in order, up to whitespace; no statement is empty; each ends where the doc
// says (";" ending a line, or "END;" for a trigger with a BEGIN body), and the statements split
// again are themselves. It does not promise to understand quoted semicolons (the migrations are
// ours); a $$ body keeps its comment lines and semicolons, so where one appears only the splitting
// again is checked.
func FuzzSplitStatements(f *testing.F) {
	f.Add("CREATE TABLE a (x INTEGER);\n-- a comment;\nCREATE TRIGGER a_ins AFTER INSERT ON a BEGIN\n    INSERT INTO b VALUES (new.x);\n" +
		"    DELETE FROM c WHERE x = new.x;\nEND;\ncreate trigger a_del after delete on a begin\n    delete from b where x = old.x;\nend;\nINSERT INTO a VALUES (1);")
	f.Add("SELECT 1")
	f.Add("  ;\n;\n\r\n-- x\n  -- y;\nSELECT 2;   \n")
	f.Add("CREATE TRIGGER t BEGIN\nSELECT 1;\n")
	f.Add("CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n-- c\nRETURN NEW;\nEND;\n$$;\nCREATE TRIGGER t AFTER INSERT ON a\nFOR EACH ROW EXECUTE FUNCTION f();\nSELECT 1;")
	for _, d := range []Dialect{SQLite, Postgres} {
		ms, err := loadMigrations(d)
		if err != nil {
			f.Fatal(err)
		}
		for _, m := range ms {
			f.Add(m.sql)
		}
	}
	f.Fuzz(func(t *testing.T, sql string) {
		got := splitStatements(sql)
		if strings.Contains(sql, "$$") {
			if again := splitStatements(strings.Join(got, "\n")); !slices.Equal(again, got) {
				t.Fatalf("statements %q split again are %q", got, again)
			}
			return
		}
		var kept []string
		for _, line := range strings.Split(sql, "\n") {
			if tl := strings.TrimSpace(line); tl != "" && !strings.HasPrefix(tl, "--") {
				kept = append(kept, line)
			}
		}
		if len(got) > len(kept) {
			t.Fatalf("%d statements from %d lines", len(got), len(kept))
		}
		if a, b := strings.Fields(strings.Join(got, "\n")), strings.Fields(strings.Join(kept, "\n")); !slices.Equal(a, b) {
			t.Fatalf("statements %q are not the lines %q", got, kept)
		}
		for i, st := range got {
			if st == "" || st != strings.TrimSpace(st) {
				t.Fatalf("statement %d is %q", i, st)
			}
			lines := strings.Split(st, "\n")
			last := strings.TrimSpace(lines[len(lines)-1])
			trigger := strings.HasPrefix(strings.ToUpper(st), "CREATE TRIGGER")
			// A trigger's body begins at the first line holding the word BEGIN; from there the
			// statement ends at END;, before it at a semicolon.
			body := false
			ends := func(line string) bool {
				if trigger && !body && slices.Contains(strings.FieldsFunc(strings.ToUpper(line), func(r rune) bool {
					return !(r == '_' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z')
				}), "BEGIN") {
					body = true
				}
				if body {
					return strings.EqualFold(line, "END;")
				}
				return strings.HasSuffix(line, ";")
			}
			// No line before its last ends the statement (it is not cut too late)…
			for _, l := range lines[:len(lines)-1] {
				if tl := strings.TrimSpace(l); tl != "" && !strings.HasPrefix(tl, "--") && ends(tl) {
					t.Fatalf("statement %d runs on past its end %q: %q", i+1, tl, st)
				}
			}
			// …and its last does, unless it is the input's unfinished tail.
			if i < len(got)-1 && !ends(last) {
				t.Fatalf("statement %d of %d does not end a statement: %q", i+1, len(got), st)
			}
		}
		if again := splitStatements(strings.Join(got, "\n")); !slices.Equal(again, got) {
			t.Fatalf("statements %q split again are %q", got, again)
		}
	})
}

// The fuzzer stalled on long statements: splitStatements reread (and upper-cased, allocating) the
// whole statement at each line. One long statement now costs a few allocations, not one a line.
func TestSplitStatementsReadsEachLineOnce(t *testing.T) {
	sql := strings.Repeat("select x,\n", 4000) + "y;"
	var got []string
	allocs := testing.AllocsPerRun(1, func() { got = splitStatements(sql) })
	if len(got) != 1 {
		t.Fatalf("%d statements, want 1", len(got))
	}
	if allocs > 100 {
		t.Fatalf("%v allocations for one statement of 4001 lines: work grows with the square of its length", allocs)
	}
}
