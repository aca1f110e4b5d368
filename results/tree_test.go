package results_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/results"
)

func treeRun(t *testing.T) string {
	t.Helper()
	dir := writeFixtureRun(t, t.TempDir(), "tree-run", []fixtureItem{
		{task: "spooky-author", split: "low", seed: 1, params: map[string]string{"search.uct_c": "0.5"},
			state: results.StateDone, grade: "silver", nodes: 7, buggy: 3,
			nodeMedals: []string{"none", "", "bronze", "silver"}},
		{task: "spooky-author", split: "low", seed: 2, state: results.StatePending},
	})
	item := results.ItemDir(dir, 0)
	// An orphan: its parent was in a part lost with a killed job.
	orphan := fixtureNodes("tree-run", 0, fixtureItem{task: "spooky-author", nodes: 1}, results.ManifestItem{})
	orphan[0].NodeID, orphan[0].ParentID, orphan[0].Step = "0-9", "0-8", 10
	if err := results.WriteNodesFile(filepath.Join(item, results.TracePartName(5)), orphan); err != nil {
		t.Fatal(err)
	}
	nd := results.NodeDir(item, "0-4")
	if err := os.MkdirAll(nd, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		results.CodeFile:   "import pandas as pd\nprint('</script><script>alert(1)</script>')\n",
		results.StdoutFile: "validation accuracy: 0.8123\n",
		results.StderrFile: strings.Repeat("x", 300<<10),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(nd, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestTreeText(t *testing.T) {
	dir := treeRun(t)
	tests := []struct {
		name string
		item int
	}{
		{"item0", 0},
		{"pending", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tree, err := results.LoadTree(context.Background(), dir, tc.item, results.NewReader(checkedAllocator(t)))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := tree.WriteText(&buf); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "TestTreeText", tc.name+".txt"), buf.Bytes())
		})
	}
	if _, err := results.LoadTree(context.Background(), dir, 7, nil); !errors.Is(err, results.ErrNoItem) {
		t.Fatalf("item 7: err = %v, want ErrNoItem", err)
	}
}

func TestTreeHTML(t *testing.T) {
	dir := treeRun(t)
	tree, err := results.LoadTree(context.Background(), dir, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tree.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{
		"<!DOCTYPE html>", "spooky-author — item 0 (seed 1)", `"id":"0-6"`, `"best":"0-6"`,
		"validation accuracy: 0.8123", `"orphan":true`, "cut at 256 KiB",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Node text must not be able to end the script element.
	if strings.Contains(page, "</script><script>alert(1)") {
		t.Error("code text broke out of the script element")
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") || strings.Contains(page, "src=") {
		t.Error("page is not self-contained")
	}
	if len(page) > 1<<20 {
		t.Errorf("page is %d bytes; file caps not applied", len(page))
	}
}
