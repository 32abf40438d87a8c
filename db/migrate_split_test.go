package db

import (
	"fmt"
	"strings"
	"testing"
)

func readFake(files map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		s, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("no file %s", name)
		}
		return []byte(s), nil
	}
}

func names(files map[string]string) []string {
	var ns []string
	for n := range files {
		ns = append(ns, n)
	}
	return ns
}

func TestEngineSpecificMigrations(t *testing.T) {
	files := map[string]string{
		"0001_init.sql":            "CREATE TABLE a (id {{pk}});",
		"0002_search.sqlite.sql":   "-- lite\nCREATE VIRTUAL TABLE f USING fts5(x);",
		"0002_search.postgres.sql": "CREATE INDEX f ON a USING GIN (x);",
		"0003_more.sql":            "ALTER TABLE a ADD COLUMN b {{ts}};",
	}
	for _, tc := range []struct {
		d    Dialect
		want []string
		sql2 string
	}{
		{SQLite, []string{"0001_init.sql", "0002_search.sqlite.sql", "0003_more.sql"}, "fts5"},
		{Postgres, []string{"0001_init.sql", "0002_search.postgres.sql", "0003_more.sql"}, "GIN"},
	} {
		ms, err := selectMigrations(names(files), tc.d, readFake(files))
		if err != nil {
			t.Fatalf("%s: %v", tc.d, err)
		}
		var got []string
		for i, m := range ms {
			got = append(got, m.name)
			if m.version != i+1 {
				t.Errorf("%s: %s has version %d, want %d", tc.d, m.name, m.version, i+1)
			}
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: migrations %v, want %v", tc.d, got, tc.want)
		}
		if !strings.Contains(ms[1].sql, tc.sql2) {
			t.Errorf("%s: migration 2 is %q", tc.d, ms[1].sql)
		}
		if strings.Contains(ms[0].sql, "{{pk}}") || strings.Contains(ms[2].sql, "{{ts}}") {
			t.Errorf("%s: type names not rendered: %q %q", tc.d, ms[0].sql, ms[2].sql)
		}
	}
}

func TestMigrationNamingErrors(t *testing.T) {
	for _, tc := range []struct {
		files []string
		want  string
	}{
		{[]string{"0001_a.sql", "0003_c.sql"}, "numbered 1, 2, 3"},
		{[]string{"0001_a.sql", "0001_b.sql"}, "same number"},
		{[]string{"0001_a.sqlite.sql", "0001_b.sqlite.sql", "0001_a.postgres.sql"}, "same number"},
		{[]string{"0001_a.sqlite.sql"}, "no file for postgres"},
		{[]string{"0001_a.postgres.sql"}, "no file for sqlite"},
		{[]string{"0001_a.sql", "0001_a.sqlite.sql", "0001_a.postgres.sql"}, "both"},
		{[]string{"0001_a.mysql.sql"}, "not named"},
		{[]string{"x_a.sql"}, "not named"},
		{[]string{"0001a.sql"}, "not named"},
		{[]string{"0001_.sqlite.sql"}, "not named"},
		{[]string{"0001_a.txt"}, "not named"},
	} {
		files := map[string]string{}
		for _, f := range tc.files {
			files[f] = "SELECT 1;"
		}
		for _, d := range []Dialect{SQLite, Postgres} {
			_, err := selectMigrations(tc.files, d, readFake(files))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v on %s: %v, want an error saying %q", tc.files, d, err, tc.want)
			}
		}
	}
}

func TestEmbeddedMigrationsLoadOnBothEngines(t *testing.T) {
	for _, d := range []Dialect{SQLite, Postgres} {
		ms, err := loadMigrations(d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		for _, m := range ms {
			other := SQLite
			if d == SQLite {
				other = Postgres
			}
			if strings.Contains(m.name, "."+string(other)+".sql") {
				t.Errorf("%s loads %s", d, m.name)
			}
		}
	}
}

func TestSplitStatementsKeepsTriggersWhole(t *testing.T) {
	got := splitStatements(`CREATE TABLE a (x INTEGER);
-- a comment;
CREATE TRIGGER a_ins AFTER INSERT ON a BEGIN
    INSERT INTO b VALUES (new.x);
    DELETE FROM c WHERE x = new.x;
END;
create trigger a_del after delete on a begin
    delete from b where x = old.x;
end;
INSERT INTO a VALUES (1);`)
	if len(got) != 4 {
		t.Fatalf("%d statements: %q", len(got), got)
	}
	if !strings.HasPrefix(got[1], "CREATE TRIGGER") || !strings.HasSuffix(got[1], "END;") || !strings.Contains(got[1], "DELETE FROM c") {
		t.Errorf("trigger split: %q", got[1])
	}
	if !strings.HasSuffix(got[2], "end;") || got[3] != "INSERT INTO a VALUES (1);" {
		t.Errorf("statements: %q", got)
	}
}

// A PostgreSQL trigger has no BEGIN … END body: it ends at its semicolon, not at the next "END;"
// (which would swallow the statements after it). A function's dollar-quoted body holds lines that
// end in semicolons, END; among them, and ends only after its closing $$.
func TestSplitStatementsPostgresFunctionsAndTriggers(t *testing.T) {
	got := splitStatements(`CREATE TABLE a (x INTEGER);
CREATE FUNCTION a_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- a comment inside the body is the body's
    IF TG_OP = 'DELETE' THEN
        INSERT INTO b VALUES (OLD.x);
        RETURN OLD;
    END IF;

    INSERT INTO b VALUES (NEW.x);
    RETURN NEW;
END;
$$;
CREATE TRIGGER a_changes AFTER INSERT OR UPDATE OR DELETE ON a
    FOR EACH ROW EXECUTE FUNCTION a_log();
CREATE TRIGGER a_begin_named AFTER INSERT ON a_begin FOR EACH ROW EXECUTE FUNCTION a_log();
INSERT INTO a VALUES (1);`)
	if len(got) != 5 {
		t.Fatalf("%d statements: %q", len(got), got)
	}
	if !strings.HasPrefix(got[1], "CREATE FUNCTION") || !strings.HasSuffix(got[1], "$$;") ||
		!strings.Contains(got[1], "RETURN NEW;") || !strings.Contains(got[1], "a comment inside") {
		t.Errorf("function split: %q", got[1])
	}
	if !strings.HasPrefix(got[2], "CREATE TRIGGER a_changes") || !strings.HasSuffix(got[2], "a_log();") {
		t.Errorf("trigger split: %q", got[2])
	}
	if !strings.HasPrefix(got[3], "CREATE TRIGGER a_begin_named") || got[4] != "INSERT INTO a VALUES (1);" {
		t.Errorf("statements: %q", got)
	}
}

func TestHasWord(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{
		{"BEGIN", true},
		{"AFTER INSERT ON A BEGIN", true},
		{"ON A_BEGIN FOR EACH ROW", false},
		{"BEGINNING", false},
		{"X BEGIN_ BEGIN", true},
	} {
		if got := hasWord(tc.line, "BEGIN"); got != tc.want {
			t.Errorf("hasWord(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}
