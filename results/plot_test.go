package results_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/results"
)

func TestSavePlot(t *testing.T) {
	_, _, sweep := goldenRuns(t)
	runs := loadRuns(t, results.CollectOptions{}, sweep, anytimeRun(t))
	opts := results.ReportOptions{By: "search.uct_c"}
	rep, err := results.BuildReport(runs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Anytime, err = results.BuildAnytime(context.Background(), runs, opts, nil, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tests := []struct {
		name  string
		check func(t *testing.T, b []byte)
	}{
		{"plot.svg", func(t *testing.T, b []byte) {
			for _, want := range []string{"<svg", "uct-sweep search.uct_c=0.5", "uct-sweep search.uct_c=1.414", "Anytime any-medal rate", "medium"} {
				if !bytes.Contains(b, []byte(want)) {
					t.Errorf("svg lacks %q", want)
				}
			}
		}},
		{"plot.png", func(t *testing.T, b []byte) {
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if r := img.Bounds(); r.Dx() != 1200 || r.Dy() != 1350 {
				t.Errorf("png is %v, want 1200x1350 (8x9 in at 150 dpi)", r)
			}
		}},
		{"plot.pdf", func(t *testing.T, b []byte) {
			if !bytes.HasPrefix(b, []byte("%PDF")) {
				t.Errorf("not a PDF: %q", b[:min(len(b), 8)])
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			if err := results.SavePlot(path, rep); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, b)
		})
	}
	if err := results.SavePlot(filepath.Join(dir, "plot.gif"), rep); !errors.Is(err, results.ErrPlotFormat) {
		t.Fatalf("gif: err = %v, want ErrPlotFormat", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temp file left: %s", e.Name())
		}
	}
}
