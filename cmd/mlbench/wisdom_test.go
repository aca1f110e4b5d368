package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runWisdom runs `mlbench wisdom ARGS...` in-process and returns its
// standard output, standard error and error.
func runWisdom(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := newApp()
	app.Writer, app.ErrWriter, app.Reader = &out, &errOut, strings.NewReader(stdin)
	err := app.Run(append([]string{"mlbench", "wisdom"}, args...))
	return out.String(), errOut.String(), err
}

const wisdomJSONL = `{"task_id":"spaceship-titanic","data_modality":"tabular","metric":"accuracy","keywords":["passengers","transported","cabin"],"column_types":["numeric","categorical"],"best_design":"CatBoost on cabin features.","best_metric":0.81,"medal":"bronze","run_id":"run-a","created_at":"2025-03-01T12:00:00Z"}
{"task_id":"house-prices","data_modality":"tabular","metric":"rmse","lower_is_better":true,"keywords":["sale","price","houses"],"column_types":["numeric","categorical"],"best_design":"LightGBM on log price.","best_metric":0.12,"medal":"silver","run_id":"run-a","created_at":"2025-03-01T13:00:00Z"}
{"task_id":"jigsaw-toxic-comment","data_modality":"text","metric":"roc_auc","keywords":["comments","toxic"],"column_types":["text"],"best_design":"TF-IDF and logistic regression.","best_metric":0.978,"medal":"gold","run_id":"run-b","created_at":"2025-03-02T09:30:00Z"}
`

func TestWisdomCommands(t *testing.T) {
	t.Setenv("MLBENCH_MEMORY_WISDOM_DIR", "")
	dir := filepath.Join(t.TempDir(), "wisdom")
	src := filepath.Join(t.TempDir(), "w.jsonl")
	if err := os.WriteFile(src, []byte(wisdomJSONL), 0o644); err != nil {
		t.Fatal(err)
	}

	_, stderr, err := runWisdom(t, "", "import", "--dir", dir, src)
	if err != nil || !strings.Contains(stderr, "imported 3 new entries (0 already present)") {
		t.Fatalf("import: %v, %q", err, stderr)
	}
	_, stderr, err = runWisdom(t, wisdomJSONL, "import", "--dir", dir, "-")
	if err != nil || !strings.Contains(stderr, "imported 0 new entries (3 already present)") {
		t.Fatalf("import from stdin again: %v, %q", err, stderr)
	}

	out, _, err := runWisdom(t, "", "list", "--dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "spaceship-titanic") || !strings.Contains(lines[2], "rmse (lower)") {
		t.Fatalf("list:\n%s", out)
	}
	id := strings.Fields(lines[2])[0]

	out, _, err = runWisdom(t, "", "show", "--dir", dir, id[:8])
	if err != nil || !strings.Contains(out, `"task_id": "house-prices"`) {
		t.Fatalf("show: %v\n%s", err, out)
	}

	out, _, err = runWisdom(t, "", "search", "--dir", dir, "--metric", "rmse", "--modality", "tabular", "-k", "2", "--task", "used-cars", "predict the price of used cars")
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || !strings.Contains(lines[1], "house-prices") {
		t.Fatalf("search:\n%s", out)
	}
	out, _, err = runWisdom(t, "", "search", "--dir", dir, "--prompt", "--task", "house-prices", "house sale price")
	if err != nil || strings.Contains(out, "house-prices") {
		t.Fatalf("search excluding the same task: %v\n%s", err, out)
	}

	out, _, err = runWisdom(t, "", "compact", "--dir", dir)
	if err != nil || !strings.Contains(out, "packed 3 entries") {
		t.Fatalf("compact: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, ".pack", "snapshot.bin")); err != nil {
		t.Fatalf("compact wrote no snapshot: %v", err)
	}

	out, _, err = runWisdom(t, "", "export", "--dir", dir)
	if err != nil || strings.Count(out, "\n") != 3 {
		t.Fatalf("export: %v\n%s", err, out)
	}

	// Everything is older than a day: a dry run lists, a prune removes.
	out, stderr, err = runWisdom(t, "", "prune", "--dir", dir, "--older-than", "1d", "--dry-run")
	if err != nil || strings.Count(out, "\n") != 3 || !strings.Contains(stderr, "would remove 3 entries") {
		t.Fatalf("prune --dry-run: %v\n%s%s", err, out, stderr)
	}
	_, stderr, err = runWisdom(t, "", "prune", "--dir", dir, "--older-than", "1d")
	if err != nil || !strings.Contains(stderr, "removed 3 entries") {
		t.Fatalf("prune: %v %s", err, stderr)
	}
	if _, stderr, _ := runWisdom(t, "", "list", "--dir", dir); !strings.Contains(stderr, "0 entries") {
		t.Fatalf("after prune: %s", stderr)
	}
}

// TestWisdomConfigDir checks that the store directory comes from the config
// (here through the environment) when --dir is not given.
func TestWisdomConfigDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "from-config")
	t.Setenv("MLBENCH_MEMORY_WISDOM_DIR", dir)
	if _, _, err := runWisdom(t, wisdomJSONL, "import", "-"); err != nil {
		t.Fatal(err)
	}
	if names, _ := os.ReadDir(dir); len(names) != 3 {
		t.Fatalf("%d files in the configured dir, want 3", len(names))
	}
}

func TestWisdomErrors(t *testing.T) {
	t.Setenv("MLBENCH_MEMORY_WISDOM_DIR", "")
	dir := t.TempDir()
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(bad, []byte(`{"task_id": "ok", "created_at": "2025-01-01T00:00:00Z"}`+"\n"+`{"task_id": ""}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"show without id", []string{"show", "--dir", dir}, "give exactly one entry ID"},
		{"show unknown id", []string{"show", "--dir", dir, "abcdef"}, `no entry "abcdef"`},
		{"search flag after text", []string{"search", "--dir", dir, "house prices", "--metric", "rmse"}, "put flags first"},
		{"search without text", []string{"search", "--dir", dir}, "give the new task's description"},
		{"prune bad age", []string{"prune", "--dir", dir, "--older-than", "soon"}, "not a positive age"},
		{"prune without age", []string{"prune", "--dir", dir}, "older-than"},
		{"import bad entry", []string{"import", "--dir", dir, bad}, "entry 2: memory: invalid wisdom entry: task_id is empty"},
		{"import missing file", []string{"import", "--dir", dir, filepath.Join(dir, "nope.jsonl")}, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runWisdom(t, "", tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
	if names, _ := os.ReadDir(dir); len(names) != 0 {
		t.Errorf("failed commands wrote %d files", len(names))
	}
}

func TestParseWisdomAge(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90d", 90 * 24 * time.Hour, true},
		{"2w", 14 * 24 * time.Hour, true},
		{"1.5d", 36 * time.Hour, true},
		{"36h", 36 * time.Hour, true},
		{"1h30m", 90 * time.Minute, true},
		{"0d", 0, false},
		{"-3h", 0, false},
		{"d", 0, false},
		{"ten days", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseWisdomAge(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("parseWisdomAge(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}
