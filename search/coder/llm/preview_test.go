package llm_test

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/search/coder/llm"
)

var update = flag.Bool("update", false, "rewrite golden files")

// makeData writes a small competition-like public directory.
func makeData(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	write := func(rel, s string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	var train strings.Builder
	train.WriteString("PassengerId,HomePlanet,CryoSleep,Age,VIP,Spa,Name,Transported\n")
	planets := []string{"Earth", "Europa", "Mars"}
	for i := 0; i < 300; i++ {
		age := fmt.Sprint(i % 80)
		if i%17 == 0 {
			age = ""
		}
		fmt.Fprintf(&train, "%04d_01,%s,%v,%s,False,%d.5,\"Name, Number %d\",%v\n", i, planets[i%3], i%2 == 0, age, i*3, i, i%3 == 0)
	}
	write("train.csv", train.String())
	write("test.csv", "PassengerId,HomePlanet,Date\n0001_01,Earth,2024-01-02\n0002_01,Mars,2024-01-03\n")
	write("sample_submission.csv", "PassengerId,Transported\n0001_01,False\n0002_01,False\n")
	write("description.md", "# Task\n")
	var wide strings.Builder
	for c := 0; c < 45; c++ {
		if c > 0 {
			wide.WriteString(",")
		}
		fmt.Fprintf(&wide, "f%d", c)
	}
	wide.WriteString("\n")
	for r := 0; r < 3; r++ {
		for c := 0; c < 45; c++ {
			if c > 0 {
				wide.WriteString(",")
			}
			fmt.Fprintf(&wide, "%d", r*c)
		}
		wide.WriteString("\n")
	}
	write("extra/wide.csv", wide.String())
	for i := 0; i < 14; i++ {
		write(fmt.Sprintf("images/img_%02d.jpg", i), strings.Repeat("x", 100+i))
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("id\tscore\n1\t0.5\n2\t0.25\n"))
	_ = zw.Close()
	write("extra/scores.tsv.gz", gz.String())
	return dir
}

func TestPreview(t *testing.T) {
	dir := makeData(t)
	got, err := llm.Preview(dir, 6000)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", t.Name(), "preview.txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if got != string(want) {
		t.Errorf("preview differs from %s (run with -update to accept):\n%s", golden, got)
	}
}

func TestPreviewBudget(t *testing.T) {
	dir := makeData(t)
	for _, budget := range []int{50, 200, 500, 1000, 2000, 4000} {
		got, err := llm.Preview(dir, budget)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > budget {
			t.Errorf("budget %d: %d characters", budget, len(got))
		}
		if budget >= 1000 && !strings.Contains(got, "train.csv") {
			t.Errorf("budget %d: the main table is missing:\n%s", budget, got)
		}
	}
}

func TestPreviewErrors(t *testing.T) {
	if _, err := llm.Preview(filepath.Join(t.TempDir(), "missing"), 1000); err == nil {
		t.Error("a missing directory gave no error")
	}
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := llm.Preview(f, 1000); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("err = %v", err)
	}
}

func TestPreviewLargeCSVReadsOnlyItsHead(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "big.csv"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "id,value")
	row := "12345"
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(f, "%d,%s\n", i, row)
	}
	f.Close()
	got, err := llm.Preview(dir, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "100000 rows") || !strings.Contains(got, "id (int) range 0..199 in the first 200 rows") {
		t.Errorf("preview:\n%s", got)
	}
}

func BenchmarkPreview(b *testing.B) {
	dir := makeData(b)
	for b.Loop() {
		if _, err := llm.Preview(dir, 8000); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseReply(b *testing.B) {
	reply := "<think>" + strings.Repeat("Consider the features. ", 500) + "</think>\nPlan.\n```python\n" +
		strings.Repeat("x = compute(x)\n", 300) + "```\nDone."
	b.SetBytes(int64(len(reply)))
	for b.Loop() {
		llm.ParseReply(reply)
	}
}
