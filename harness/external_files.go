package harness

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/mlbench/mlbench/results"
)

// Bounds on the agent directory copied to /home/agent.
const (
	maxAgentDirBytes = 512 << 20
	maxAgentDirFiles = 20000
)

// copyDir copies the agent's directory src into dst (/home/agent), keeping
// modes and symbolic links, refusing directories beyond the bounds.
func copyDir(src, dst string) error {
	var bytes int64
	files := 0
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(out, info.Mode().Perm()|0o700)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, out)
		case !d.Type().IsRegular():
			return nil
		}
		files++
		bytes += info.Size()
		if files > maxAgentDirFiles || bytes > maxAgentDirBytes {
			return fmt.Errorf("the agent's directory %s holds more than %d files or %d MiB; give the agent its own directory (or an image)", src, maxAgentDirFiles, maxAgentDirBytes>>20)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		o, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(o, in); err != nil {
			o.Close()
			return err
		}
		return o.Close()
	})
	if err != nil {
		return fmt.Errorf("copy the agent to /home/agent: %w", err)
	}
	return nil
}

// countFiles counts the regular files under dir (bounded).
func countFiles(dir string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		if n >= 1000000 {
			return filepath.SkipAll
		}
		return nil
	})
	return n
}

// maxImportedCode bounds each imported node's code.py.
const maxImportedCode = 1 << 20

// importJournal turns the agent's journal.json (in /home/logs, /home/code
// or /home/agent) into node rows of the item's traces, skipping nodes the
// traces already hold (a worker killed after importing), and writes each
// node's code to nodes/<id>/code.py for trees and the web view.
func (a *externalAgent) importJournal(ctx context.Context, env AgentEnv, l externalLayout, out *AgentResult) error {
	path := findJournal(l.logs, l.code, l.home)
	if path == "" {
		fmt.Fprintf(env.Log, "item %d: the agent left no %s; its trace is the item's row only\n", env.Index, JournalFile)
		return nil
	}
	item, err := env.Run.Item(env.Index)
	if err != nil {
		return err
	}
	base := results.NodeRow{
		RunID: env.Run.Manifest.RunID, Item: int64(env.Index), TaskID: env.Task.ID, Seed: int64(env.Seed),
		Params: item.ParamsJSON(), LowerIsBetter: env.Task.LowerIsBetter,
	}
	rows, code, err := readJournal(path, base)
	if err != nil {
		return err
	}
	seen, err := tracedNodes(ctx, env.ItemDir)
	if err != nil {
		return fmt.Errorf("read traces: %w", err)
	}
	var fresh []results.NodeRow
	for i, r := range rows {
		out.Nodes++
		if r.IsBuggy {
			out.Buggy++
		}
		if seen[r.NodeID] {
			continue
		}
		fresh = append(fresh, r)
		if c := code[i]; c != "" && len(c) <= maxImportedCode {
			dir := results.NodeDir(env.ItemDir, r.NodeID)
			if err := os.MkdirAll(dir, 0o755); err == nil {
				_ = os.WriteFile(filepath.Join(dir, results.CodeFile), []byte(c), 0o644)
			}
		}
	}
	if len(fresh) > 0 {
		tw, err := results.NewTraceWriter(env.ItemDir, results.TraceOptions{})
		if err != nil {
			return err
		}
		if err := tw.Write(fresh...); err != nil {
			tw.Close()
			return err
		}
		if err := tw.Close(); err != nil {
			return err
		}
	}
	// progress.json as our own agent keeps it, for run summaries.
	p := results.Progress{Nodes: out.Nodes, Buggy: out.Buggy, Steps: out.Nodes, Lower: env.Task.LowerIsBetter, UpdatedAt: time.Now().UTC()}
	if err := results.WriteProgress(env.ItemDir, p); err != nil {
		return err
	}
	rel, _ := filepath.Rel(env.ItemDir, path)
	fmt.Fprintf(env.Log, "item %d: imported %d nodes (%d buggy) from %s\n", env.Index, out.Nodes, out.Buggy, rel)
	return nil
}
