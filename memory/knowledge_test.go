package memory_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mlbench/mlbench/memory"
)

func allNodes() []memory.Node {
	return pick(tree(), "d1", "d2", "d3", "i1", "i2", "i3", "b1", "b2")
}

func TestDistil(t *testing.T) {
	k := memory.Distil(allNodes(), memory.DistilOptions{TaskID: "demo-regression", LowerIsBetter: true})
	golden(t, "knowledge.txt", k.Text())
	path := filepath.Join(t.TempDir(), "knowledge.json")
	if err := memory.SaveKnowledge(path, k); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "knowledge.json", string(data))
}

// TestDistilDeterministic shuffles the nodes: the knowledge must not change.
func TestDistilDeterministic(t *testing.T) {
	nodes := allNodes()
	opts := memory.DistilOptions{LowerIsBetter: true}
	want, _ := json.Marshal(memory.Distil(nodes, opts))
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20; i++ {
		rng.Shuffle(len(nodes), func(a, b int) { nodes[a], nodes[b] = nodes[b], nodes[a] })
		got, _ := json.Marshal(memory.Distil(nodes, opts))
		if string(got) != string(want) {
			t.Fatalf("shuffle %d changed the knowledge:\n%s\nwant\n%s", i, got, want)
		}
	}
}

func TestDistilDirection(t *testing.T) {
	tests := []struct {
		name          string
		lowerIsBetter bool
		best          string
		notHelpful    []string
	}{
		{"lower is better", true, "i1", []string{"i2", "i3"}},
		{"higher is better", false, "d3", []string{"i1", "i3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := memory.Distil(allNodes(), memory.DistilOptions{LowerIsBetter: tc.lowerIsBetter})
			if k.BestDesigns[0].NodeID != tc.best {
				t.Errorf("best = %s, want %s", k.BestDesigns[0].NodeID, tc.best)
			}
			var got []string
			for _, c := range k.NotHelpful {
				got = append(got, c.NodeID)
			}
			if strings.Join(got, ",") != strings.Join(tc.notHelpful, ",") {
				t.Errorf("not helpful = %v, want %v", got, tc.notHelpful)
			}
		})
	}
}

func TestDistilEmpty(t *testing.T) {
	k := memory.Distil(nil, memory.DistilOptions{})
	if k.Text() != "" {
		t.Errorf("text of empty knowledge = %q", k.Text())
	}
}

func TestNormalizeError(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"key error", "KeyError: 'a'", "KeyError: <str>"},
		{"same shape, other column", "Traceback (most recent call last):\n  File \"x.py\", line 3\nKeyError: 'price'\n", "KeyError: <str>"},
		{"numbers and shapes", "ValueError: Found input variables with inconsistent numbers of samples: [800, 200]", "ValueError: Found input variables with inconsistent numbers of samples: [<num>, <num>]"},
		{"module path dropped", "sklearn.exceptions.NotFittedError: This RandomForest instance is not fitted yet.", "NotFittedError: This RandomForest instance is not fitted yet."},
		{"file paths", "FileNotFoundError: [Errno 2] No such file or directory: /data/input/train_v2.csv", "FileNotFoundError: [Errno <num>] No such file or directory: <path>"},
		{"hex address", "RuntimeError: tensor at 0x7f3a2b1c is on cpu", "RuntimeError: tensor at <hex> is on cpu"},
		{"floats", "AssertionError: loss 1.5e-3 > 0.25", "AssertionError: loss <num> > <num>"},
		{"identifier digits kept", "TypeError: float64 object is not callable", "TypeError: float64 object is not callable"},
		{"no message", "Traceback\nStopIteration\n", "StopIteration"},
		{"last exception wins", "ValueError: first\nduring handling\nRuntimeError: second 3", "RuntimeError: second <num>"},
		{"no exception line", "\n  Execution timed out after 3600 seconds\n", "Execution timed out after <num> seconds"},
		{"warning is not an exception", "UserWarning: x is deprecated\nKilled", "UserWarning: x is deprecated"},
		{"empty", "  \n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := memory.NormalizeError(tc.in); got != tc.want {
				t.Errorf("NormalizeError(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzNormalizeError(f *testing.F) {
	f.Add("KeyError: 'a'")
	f.Add("Traceback (most recent call last):\nValueError: 3 != 4 at /a/b/c.py 0xff")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		got := memory.NormalizeError(s)
		if len(got) > 160 {
			t.Fatalf("signature is %d bytes", len(got))
		}
		if again := memory.NormalizeError(got); got != "" && again != got && !strings.HasSuffix(got, "...") {
			// A signature is its own shape, unless it was cut short.
			t.Fatalf("not idempotent: %q -> %q", got, again)
		}
	})
}

func TestTaskKnowledgeResume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "knowledge.json")
	opts := memory.KnowledgeOptions{Distil: memory.DistilOptions{TaskID: "demo", LowerIsBetter: true}, Every: 3}
	tk, err := memory.OpenTaskKnowledge(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Text() != "" || !tk.Due(3) || tk.Due(2) {
		t.Fatalf("fresh knowledge: text %q, Due(3)=%v, Due(2)=%v", tk.Text(), tk.Due(3), tk.Due(2))
	}
	nodes := allNodes()
	if _, err := tk.Update(context.Background(), nodes[:5]); err != nil {
		t.Fatal(err)
	}
	if tk.Due(7) || !tk.Due(8) {
		t.Errorf("after 5 nodes: Due(7)=%v Due(8)=%v", tk.Due(7), tk.Due(8))
	}
	// An older, smaller update must not move the knowledge backwards.
	if k, err := tk.Update(context.Background(), nodes[:2]); err != nil || k.Nodes != 5 {
		t.Fatalf("stale update: nodes %d, err %v", k.Nodes, err)
	}
	want := tk.Text()

	resumed, err := memory.OpenTaskKnowledge(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := resumed.Text(); got != want || got == "" {
		t.Errorf("resumed text = %q, want %q", got, want)
	}
	if resumed.Due(7) {
		t.Error("resumed knowledge forgot how many nodes it covered")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("item dir holds %d files, want only knowledge.json", len(entries))
	}
}

func TestTaskKnowledgeCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "knowledge.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := memory.OpenTaskKnowledge(path, memory.KnowledgeOptions{}); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("corrupt file: err = %v, want one naming %s", err, path)
	}
}

func TestTaskKnowledgeRefine(t *testing.T) {
	boom := errors.New("feedback model unavailable")
	tests := []struct {
		name     string
		refine   memory.RefineFunc
		wantText string // "" means the distilled text
		wantErr  error
	}{
		{"rewrites", func(_ context.Context, d string) (string, error) {
			if !strings.Contains(d, "Best designs") {
				return "", errors.New("hook did not get the distilled text")
			}
			return "  Use LightGBM with target encoding.  ", nil
		}, "Use LightGBM with target encoding.\n", nil},
		{"fails", func(context.Context, string) (string, error) { return "", boom }, "", boom},
		{"empty", func(context.Context, string) (string, error) { return " \n", nil }, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "knowledge.json")
			tk, err := memory.OpenTaskKnowledge(path, memory.KnowledgeOptions{Distil: memory.DistilOptions{LowerIsBetter: true}, Refine: tc.refine})
			if err != nil {
				t.Fatal(err)
			}
			k, err := tk.Update(context.Background(), allNodes())
			var re *memory.RefineError
			switch {
			case tc.wantText != "" && err != nil:
				t.Fatalf("Update: %v", err)
			case tc.wantText == "" && !errors.As(err, &re):
				t.Fatalf("Update err = %v, want a *RefineError", err)
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("Update err = %v, want it to wrap %v", err, tc.wantErr)
			}
			want := tc.wantText
			if want == "" {
				want = k.Distilled()
			}
			if got := tk.Text(); got != want {
				t.Errorf("text = %q, want %q", got, want)
			}
			saved, err := memory.LoadKnowledge(path)
			if err != nil {
				t.Fatalf("the knowledge was not saved: %v", err)
			}
			if saved.Text() != want {
				t.Errorf("saved text = %q, want %q", saved.Text(), want)
			}
		})
	}
}

func TestModelFamilies(t *testing.T) {
	tests := []struct {
		name, code string
		want       []string
	}{
		{"lightgbm", "import lightgbm as lgb\nm = lgb.LGBMClassifier()", []string{"lightgbm"}},
		{"blend", "from xgboost import XGBRegressor\nfrom sklearn.linear_model import Ridge\nm = Ridge(alpha=1)", []string{"xgboost", "linear"}},
		{"torch", "import torch\nimport timm", []string{"pytorch", "timm"}},
		{"none", "print('hello')", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := memory.ModelFamilies(tc.code); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestTaskKnowledgeConcurrent updates from many workers at once, each with
// the nodes it had seen: the knowledge ends at the largest set.
func TestTaskKnowledgeConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "knowledge.json")
	tk, err := memory.OpenTaskKnowledge(path, memory.KnowledgeOptions{Distil: memory.DistilOptions{LowerIsBetter: true}, Every: 2})
	if err != nil {
		t.Fatal(err)
	}
	nodes := allNodes()
	var wg sync.WaitGroup
	for i := 1; i <= len(nodes); i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			if _, err := tk.Update(context.Background(), nodes[:n]); err != nil {
				t.Error(err)
			}
			_ = tk.Text()
			_ = tk.Due(n)
		}(i)
	}
	wg.Wait()
	if k := tk.Knowledge(); k.Nodes != len(nodes) {
		t.Errorf("knowledge covers %d nodes, want %d", k.Nodes, len(nodes))
	}
	saved, err := memory.LoadKnowledge(path)
	if err != nil || saved.Nodes != len(nodes) {
		t.Errorf("saved knowledge covers %d nodes (%v), want %d", saved.Nodes, err, len(nodes))
	}
}
