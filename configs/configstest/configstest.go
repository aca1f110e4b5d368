// Package configstest loads configs for tests: the embedded defaults with
// every directory a test may write under a fresh temporary directory.
package configstest

import (
	"path/filepath"
	"testing"

	"github.com/mlbench/mlbench/configs"
)

// Dirs are the --set overrides that put the demo tasks, the data, the runs
// and the wisdom store under root.
func Dirs(root string) []string {
	return []string{
		"data.demo_dir=" + filepath.Join(root, "demo"),
		"data.dir=" + filepath.Join(root, "data"),
		"results.dir=" + filepath.Join(root, "runs"),
		"memory.wisdom.dir=" + filepath.Join(root, "wisdom"),
	}
}

// Load returns the defaults with Dirs under tb's temporary directory, then
// sets applied in order; the environment is ignored. A bad set fails tb.
func Load(tb testing.TB, sets ...string) *configs.Config {
	tb.Helper()
	cfg, err := configs.Load(configs.Options{Sets: append(Dirs(tb.TempDir()), sets...), Env: []string{}})
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}
