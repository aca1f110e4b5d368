package grader

import (
	"os"
	"path/filepath"
	"testing"
)

// PrepareTask writes answers for a competition into a fresh data dir laid
// out as `mlebench prepare` does and returns the dir. It is exported for
// the package's external tests (see prepare in helpers_test.go), so that
// internal and external tests share one copy.
func PrepareTask(tb testing.TB, id, answers string) string {
	tb.Helper()
	c, err := Lookup(id)
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	p := filepath.Join(dir, filepath.FromSlash(c.Answers))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(answers), 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}
