// Package agents holds the external agents shipped with mlbench: "example"
// (a small AIDE-shaped agent on numpy, pandas and scikit-learn that CI runs
// under MLE-Bench's agent contract). Copy one as the skeleton of your own.
package agents

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed example
var files embed.FS

// Names lists the shipped agents.
func Names() []string { return []string{"example"} }

// Write copies agent name into dir (created), keeping start.sh executable,
// and returns the path of its start script.
func Write(name, dir string) (string, error) {
	sub, err := fs.Sub(files, name)
	if err != nil || name == "" {
		return "", fmt.Errorf("no shipped agent %q (have: example)", name)
	}
	if _, err := fs.Stat(sub, "start.sh"); err != nil {
		return "", fmt.Errorf("no shipped agent %q (have: example)", name)
	}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, p)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if filepath.Ext(p) == ".sh" {
			mode = 0o755
		}
		return os.WriteFile(dst, b, mode)
	})
	if err != nil {
		return "", fmt.Errorf("write agent %s: %w", name, err)
	}
	return filepath.Join(dir, "start.sh"), nil
}
